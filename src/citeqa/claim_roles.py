"""Who does what: the role slots (funds, chairs, leads, appoints, reports to, belongs to, founded,
provides the secretariat) in Chinese and English wording, and the actor each slot names.

Only generic wording lives here; which names are one actor comes from the caller's alias table.
"""

from __future__ import annotations

import re
from typing import Mapping

_I = re.I
_END = "，,。；;：:"
_SLOT_CN = rf"(?P<x>[^{_END}由]{{2,24}}?)"
_SLOT_EN = r"(?P<x>(?:[^.;:()\n]|(?<=\b[A-Z])\.){2,80})"  # stops at a full stop, not at an initial (George W. Bush)
_CAP = r"(?P<x>[A-Z][\w&'’-]*(?:(?<=\b[A-Z])\.)?(?:,?\s+(?:(?:of|and|for|on|the|&)\s+)*[A-Z][\w&'’-]*(?:(?<=\b[A-Z])\.)?)*)"
_CHAIR_CN = "(?:主席|议长|会长|主任委员)"
_CHAIR_EN = r"(?:chair|chairman|chairwoman|chairperson)"
_FOUND_CN = "(?:创立|创建|创办|建立|成立|组建|设立|发起|启动|推出)"
_ORG_CN = "(?:政府|议会|国会|内阁|部|委员会|理事会|会议|署|局|厅|省|办公室|总统|首相|总理|大臣|部长|大学|学会|基金会|研究院|科学院|中心|公司|集团)"  # heads of actor names
_FOUND_EN = r"(?:founded|created|established|launched|initiated|started|set up)"
ROLES = [("fund", re.compile(rf"(?:资金|经费)由{_SLOT_CN}(?:提供|承担|拨付)")),
         ("fund", re.compile(rf"由{_SLOT_CN}(?:提供资金|提供经费|资助|出资|拨款)")),
         ("chair", re.compile(rf"由{_SLOT_CN}担任{_CHAIR_CN}")), ("chair", re.compile(rf"{_CHAIR_CN}由{_SLOT_CN}担任")),
         ("secretariat", re.compile(rf"秘书处由{_SLOT_CN}(?:提供|承担|负责|担任)")),
         ("lead", re.compile(rf"由{_SLOT_CN}(?:负责|牵头|领导|主导)")),
         ("found", re.compile(rf"由{_SLOT_CN}{_FOUND_CN}")),
         ("fund", re.compile(rf"\b(?:funded|financed|paid for) by\s+{_SLOT_EN}", _I)),
         ("fund", re.compile(rf"\bfunding (?:comes from|from|is provided by|provided by)\s+{_SLOT_EN}", _I)),
         ("chair", re.compile(rf"\bchaired by\s+{_SLOT_EN}", _I)),
         ("lead", re.compile(rf"\b(?:led|headed|run) by\s+{_SLOT_EN}", _I)),
         ("found", re.compile(rf"\b(?:first |initially |originally )?{_FOUND_EN}(?:\s+(?:in|on|at)\s+[^,.;()]{{1,25}}?)? by\s+{_SLOT_EN}", _I)),
         ("secretariat", re.compile(rf"\bsecretariat (?:is |was )?(?:provided|run|hosted|supplied) by\s+{_SLOT_EN}", _I)),
         ("fund", re.compile(rf"{_CAP}\s+(?:funds|finances|provides (?:the )?funding)\b")),
         ("chair", re.compile(rf"{_CAP}\s+chairs\b")),
         ("lead", re.compile(rf"{_CAP}\s+(?:leads|heads|is responsible for)\b")),
         ("found*", re.compile(rf"{_CAP}\s+(?:founded|created|launched|established|initiated)\b")),
         ("secretariat", re.compile(rf"{_CAP}\s+(?:provides|runs|hosts) (?:the |its )?secretariat\b")),
         ("chair", re.compile(rf"(?:^|(?<=[{_END}、]))(?P<x>[^{_END}、由]{{2,12}}?)(?:担任|任){_CHAIR_CN}")),
         # 英国政府组建研究署: the founder opens the clause and the verb takes an object ("…于2001年成立" does not);
         # a starred role is an active pattern, kept only when its object is a known body (see actor_facts)
         ("found*", re.compile(rf"(?:^|(?<=[{_END}、]))(?P<x>[^{_END}、由于在被]{{0,10}}{_ORG_CN}){_FOUND_CN}了?(?=[\u4e00-\u9fff])(?![于的时后以之])")),
         ("appoint", re.compile(rf"由{_SLOT_CN}(?:指派|任命|委派|选派)")),
         ("appoint", re.compile(rf"从{_SLOT_CN}中(?:选择|挑选|遴选)?(?:任命|选拔|产生)")),
         ("report", re.compile(rf"向{_SLOT_CN}(?:报告|汇报|负责)")),
         ("belong", re.compile(rf"(?:隶属于|归属于|从属于)(?P<x>[^{_END}]{{2,24}}?)(?=[，,。；;：:的]|$)")),
         ("chair", re.compile(rf"{_CAP}\s+(?:is|serves as|acts as) (?:the )?{_CHAIR_EN}\b")),
         ("chair", re.compile(rf"\b{_CHAIR_EN} is\s+{_SLOT_EN}", _I)),
         ("chair", re.compile(rf"\bwith (?:the |a |an )?{_CAP}\s+as (?:the |a |its )?{_CHAIR_EN}\b")),
         # a field or table row: "Chair: X" at the start of a line or cell, "Chair | X" anywhere
         ("chair", re.compile(rf"(?:^|(?<=\|))\s*{_CHAIR_EN}\s*:\s*(?:the\s+)?{_CAP}", _I)),
         ("chair", re.compile(rf"\b{_CHAIR_EN}\s*\|\s*(?:the\s+)?{_CAP}", _I)),
         ("secretariat", re.compile(rf"(?:^|(?<=\|))\s*secretariat\s*:\s*(?:the\s+)?{_CAP}", _I)),
         ("secretariat", re.compile(rf"\bsecretariat\s*\|\s*(?:the\s+)?{_CAP}", _I)),
         ("secretariat", re.compile(rf"\bsecretariat(?: of [^.;:]{{2,60}}?)? (?:is|was) (?:the\s+)?{_CAP}", _I)),
         ("appoint", re.compile(rf"\b(?:appointed|nominated|designated|named|chosen|selected) (?:by|from(?: among)?)\s+{_SLOT_EN}", _I)),
         ("appoint", re.compile(rf"{_CAP}\s+(?:appoints|nominates|designates)\b")),
         ("report", re.compile(rf"\breports?(?: [a-z]+){{0,3}} to\s+{_SLOT_EN}", _I)),
         ("belong", re.compile(rf"\b(?:belongs? to|is part of|(?:sits|operates) under|is subordinate to|reports? directly to)\s+{_SLOT_EN}", _I))]
_HEAD_EN = r"(?:\s+(?:government|parliament|ministry|administration|council|committee))?"  # "the UK government"
ALIAS_SHARE = 0.6  # an alias names the actor only when it covers this much of the slot ("日本首相" is not Japan)


def _cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def actor_facts(norm: str, pos: list[int], actor_rx: re.Pattern[str], actors: Mapping[str, str]) -> list[tuple[str, str, str, tuple[int, int]]]:
    """(name, role, surface, span in the original text) for each actor sitting in a role slot.

    A slot naming a known alias gives that alias's key; else Chinese slots are kept whole and
    English ones give their leading capitalised name ("Ian Murdock in 1993" -> Ian Murdock).
    """
    out = []
    for role, rx in ROLES:
        for m in rx.finditer(norm):
            if role.endswith("*"):  # active "X founded Y": only when Y is a known body, else X founded something else
                if not actor_rx.match(norm, re.match(r"[\s了]*(?:the\s+)?", norm[m.end():]).end() + m.end()):
                    continue
                role = role[:-1]
            base, slot = m.start("x"), m["x"]
            hit = actor_rx.search(slot)
            bare = re.sub(r"^\s*(?:[Tt]he\s+)", "", slot).strip()
            hit = hit if hit and len(hit[0]) >= ALIAS_SHARE * len(bare) else None
            cap = re.match(r"\s*(?:[Tt]he\s+|[Aa]n?\s+)?" + _CAP + _HEAD_EN, slot)
            if hit:
                name, (s, e) = actors[hit[0].lower()], hit.span()
            elif _cjk(slot[0]):
                name, (s, e) = slot, (0, len(slot))
            elif cap:
                name, (s, e) = slot[cap.start("x"):cap.end()], (cap.start("x"), cap.end())
            else:
                continue
            out.append((name, role, slot[s:e], (pos[base + s], pos[base + e - 1] + 1)))
    return out

"""The evaluation report: metrics.json, report.md (tables per group and per question) and recall_at_k.png."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from .atomicfile import write_atomic
from .evaluate import EvalRun

_TABLE_KEYS = ["n", "recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10", "mean_passage_chars",
               "abstain_precision", "abstain_recall", "latency_ms_p50", "latency_ms_p95"]


def _fmt(v: Any) -> str:
    if v is None:
        return "—"
    return f"{v:.3f}" if isinstance(v, float) else str(v)


def _cell(text: str, width: int = 80) -> str:
    """One Markdown table cell: single line, pipes escaped, truncated."""
    text = " ".join(text.split())
    text = text if len(text) <= width else text[: width - 1] + "…"
    return text.replace("|", "\\|")


def _table(header: list[str], body: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)] + ["| " + " | ".join(r) + " |" for r in body]


def _run_section(run: EvalRun, m: dict[str, Any]) -> list[str]:
    groups = [("overall", m)] + [(f"lang={g}", v) for g, v in m["by_lang"].items()] \
        + [(f"kind={g}", v) for g, v in m["by_kind"].items()]
    lines = _table(["group"] + _TABLE_KEYS, [[g] + [_fmt(v[key]) for key in _TABLE_KEYS] for g, v in groups])
    lines += ["", f"Per question (top {run.k}; rank = first relevant hit):", ""]
    lines += _table(["id", "lang", "question", "rank", "abstained", "top passage"],
                    [[r.id, r.lang, _cell(r.question, 120), _fmt(r.first_rank), "yes" if r.abstained else "",
                      _cell(r.top_passage)] for r in run.rows])
    return lines


REPORT_MARKER = ".citeqa-report"


def report_folder(path: str | Path) -> Path:
    """A folder citeqa may write reports into: new, empty, or one it marked before.

    Reports overwrite their own file names; a folder holding someone else's files is refused
    rather than risk replacing them.
    """
    out = Path(path)
    if out.exists() and (not out.is_dir() or (not (out / REPORT_MARKER).exists() and any(out.iterdir()))):
        raise ValueError(f"{out} holds files citeqa did not write: pass --report with a new or empty folder")
    out.mkdir(parents=True, exist_ok=True)
    (out / REPORT_MARKER).write_text("citeqa writes its reports here and overwrites only them\n", encoding="utf-8")
    return out


def write_report(run: EvalRun | dict[str, EvalRun], out_dir: str | Path) -> None:
    """Write metrics.json, report.md and recall_at_k.png; a dict of named runs is an ablation."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out = report_folder(out_dir)
    runs = run if isinstance(run, dict) else {"": run}
    metrics = {name: r.metrics() for name, r in runs.items()}
    write_atomic(out / "metrics.json", json.dumps(metrics if isinstance(run, dict) else metrics[""], ensure_ascii=False, indent=2))

    lines = ["# citeqa retrieval evaluation", ""]
    if isinstance(run, dict):
        cols = [(label, key) for label in ("overall", "en", "zh") for key in ("recall@1", "recall@5", "recall@10", "mrr@10")]
        body = []
        for name, m in metrics.items():
            scopes = {"overall": m, **m["by_lang"]}
            body.append([name] + [_fmt(scopes.get(label, {}).get(key)) for label, key in cols])
        lines += ["## Ablation", ""] + _table(["method"] + [f"{k} ({label})" for label, k in cols], body) + [""]
    for name, r in runs.items():
        lines += [f"## {name or 'Metrics'}", ""] + _run_section(r, metrics[name]) + [""]
    write_atomic(out / "report.md", "\n".join(lines))

    langs = sorted({row.lang for r in runs.values() for row in r.rows})
    fig, axes = plt.subplots(1, len(langs), figsize=(5.5 * len(langs) + 3, 4.5), sharey=True, squeeze=False)
    ks = list(range(1, 11))
    colors = plt.get_cmap("tab10" if len(runs) <= 10 else "tab20").colors
    for ax, lang in zip(axes[0], langs):
        for (name, r), color in zip(runs.items(), colors):
            curve = r.recall_curve(lang)
            if curve[0] is not None:
                ax.plot(ks, curve, marker="o", markersize=3, color=color, label=name or "system")
        ax.set(xlabel="k", ylim=(0, 1.02), xticks=ks, title=f"{lang} questions")
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel("recall@k (answerable questions)")
    if axes[0][-1].lines:
        axes[0][-1].legend(fontsize=8, loc="center left", bbox_to_anchor=(1.02, 0.5))
    fig.tight_layout()
    fig.savefig(out / ".recall_at_k.png.tmp", dpi=120, format="png")
    plt.close(fig)
    os.replace(out / ".recall_at_k.png.tmp", out / "recall_at_k.png")

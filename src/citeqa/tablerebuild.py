"""Rebuild a table that PDF extraction flattened cell by cell, from its declared header."""

from __future__ import annotations

import re

from .clean import TableCell, TableSpec, join_lines, squash


class TableParser:
    """Rebuild a flattened table whose header is known.

    Extraction emits the header, then for each row its label followed by one block per
    column, in column order; labels and headers may wrap over several blocks and a table
    may continue later in the text (after body paragraphs) with its header repeated.
    A row whose cells cannot be aligned to the columns is left as plain text, never dropped.
    """

    def __init__(self, spec: TableSpec):
        self.spec = spec
        self.header = squash(spec.corner + "".join(spec.columns))
        self.cells: list[TableCell] = []
        self.caption: str = ""
        self.note: str = ""
        self.failed = False

    def _consume_prefix(self, texts: list[str], i: int, target: str) -> int | None:
        """Consume blocks from i while their squashed concatenation is a prefix of target."""
        acc = ""
        j = i
        while j < len(texts):
            acc += squash(texts[j])
            if not target.startswith(acc):
                return None
            j += 1
            if acc == target:
                return j
        return None

    def _match_row(self, texts: list[str], i: int) -> tuple[str, int, str] | None:
        """A row label at block i: (label, next block, inline rest of the label's block)."""
        first = texts[i]
        for label in self.spec.rows:
            inline = re.match(rf"^{re.escape(label)}[ \u3000]+(\S.*)$", first, re.S)
            if inline:
                return label, i + 1, inline.group(1)
            end = self._consume_prefix(texts, i, squash(label))
            if end is not None:
                return label, end, ""
        return None

    def parse(self, texts: list[str], i: int) -> int:
        """Parse from a header at block i; return the first block index after the table part."""
        end = self._consume_prefix(texts, i, self.header)
        if end is None:
            return i
        i = end
        ncol = len(self.spec.columns)
        while i < len(texts):
            row = self._match_row(texts, i)
            if row is None:
                break
            label, i, inline = row
            if inline:
                parts = inline.split("\n")
                cells = re.split(r" +", parts[0].strip())
                cells[-1] += "".join(parts[1:])
            else:
                cells = []
                while i < len(texts) and len(cells) < ncol and self._match_row(texts, i) is None:
                    cells.append(texts[i])
                    i += 1
            if cells and "\n资料来源" in "\n" + cells[-1].replace("\n ", "\n"):
                cell, _, note = cells[-1].replace("\n ", "\n").partition("\n资料来源")
                cells[-1], self.note = cell, join_lines(("资料来源" + note).split("\n"))
            if len(cells) != ncol:
                self.failed = True
                cells = cells + [""] * (ncol - len(cells))
            for column, cell in zip(self.spec.columns, cells):
                self.cells.append(TableCell(self.spec.number, label, column, join_lines(cell.split("\n")) or "—"))
        if i < len(texts) and squash(texts[i]).startswith("资料来源"):
            self.note = join_lines(texts[i].split("\n"))
            i += 1
        return i

    def render(self) -> list[str]:
        rows = [self.caption] if self.caption else [f"表{self.spec.number}"]
        rows += [f"表{c.table} · {c.row} · {c.column}：{c.text}" for c in self.cells]
        return rows + ([self.note] if self.note else [])

"""jieba's dictionary read on demand, so a one-question process does not load all of it.

jieba builds a prefix table of ~500 k entries (word -> frequency, 0 for a prefix) before its
first cut (~0.4-0.6 s from its marshal cache), and `jieba.posseg` reads every line of the
dictionary for part-of-speech tags at import (~0.3 s). A question looks up only the substrings
that start at its own characters. This module writes both tables once into one file, grouped
by first character, and hands jieba mappings that parse a character's group on first use.
The file is made from jieba's own tables, so every cut gives the same words as a fully loaded
jieba (a test compares them); words added at run time (`jieba.add_word`) still work.
"""

from __future__ import annotations

import hashlib
import io
import marshal
import mmap
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Iterable, TypeVar

from .atomicfile import write_atomic

T = TypeVar("T")

FORMAT = b"citeqa-jieba-table 1\n"
NONE = "-"  # a word without a frequency entry (tags only) or without a tag


def cache_dir() -> Path:
    """Where citeqa keeps files it can always remake: $CITEQA_CACHE, else $XDG_CACHE_HOME/citeqa, else ~/.cache/citeqa."""
    if os.environ.get("CITEQA_CACHE"):
        return Path(os.environ["CITEQA_CACHE"])
    if os.environ.get("XDG_CACHE_HOME"):
        return Path(os.environ["XDG_CACHE_HOME"]) / "citeqa"
    try:
        return Path.home() / ".cache" / "citeqa"
    except RuntimeError:  # no home directory (some service accounts)
        return Path(tempfile.gettempdir()) / f"citeqa-cache-{os.getuid()}"


def _dict_file() -> Path:
    import jieba

    return Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME


def table_path() -> Path:
    """One file per jieba version and dictionary file (size and mtime): a new jieba gets a new table."""
    import jieba

    st = _dict_file().stat()
    return cache_dir() / f"jieba-{jieba.__version__}-{st.st_size}-{st.st_mtime_ns}.table"


class JiebaTable:
    """The file: FORMAT, an 8-byte header length, a marshal header, then text blocks per first character."""

    def __init__(self, path: Path) -> None:
        with open(path, "rb") as f:
            if f.read(len(FORMAT)) != FORMAT:
                raise ValueError(f"{path} is not a citeqa jieba table")
            size = int.from_bytes(f.read(8), "little")
            header = marshal.loads(f.read(size))
            self._base = len(FORMAT) + 8 + size
            self._map = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        self.total: int = header["total"]
        self.counts: tuple[int, int] = header["counts"]
        self._blocks: dict[str, tuple[int, int]] = header["blocks"]
        self._freq: dict[str, dict[str, int]] = {}
        self._tags: dict[str, dict[str, str]] = {}
        self.freq, self.tags = LazyTable(self, self._freq), LazyTable(self, self._tags)

    def load(self, ch: str) -> None:
        """Parse the block of words starting with `ch` into both tables."""
        freq: dict[str, int] = {}
        tags: dict[str, str] = {}
        span = self._blocks.get(ch)
        if span is not None:
            text = self._map[self._base + span[0] : self._base + span[1]].decode("utf-8")
            for line in text.split("\n"):
                word, f, tag = line.split("\t")
                if f != NONE:
                    freq[word] = int(f)
                if tag != NONE:
                    tags[word] = tag
        self._freq.setdefault(ch, freq)
        self._tags.setdefault(ch, tags)


class LazyTable:
    """The dict operations jieba uses on `Tokenizer.FREQ` and `POSTokenizer.word_tag_tab`."""

    def __init__(self, table: JiebaTable, blocks: dict[str, dict[str, Any]]) -> None:
        self._table, self._blocks = table, blocks

    def _block(self, word: str) -> dict[str, Any]:
        ch = word[0]
        block = self._blocks.get(ch)
        if block is None:
            self._table.load(ch)
            block = self._blocks[ch]
        return block

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and bool(word) and word in self._block(word)

    def __getitem__(self, word: str) -> Any:
        if not word:
            raise KeyError(word)
        return self._block(word)[word]

    def get(self, word: str, default: Any = None) -> Any:
        return self._block(word).get(word, default) if word else default

    def __setitem__(self, word: str, value: Any) -> None:
        self._block(word)[word] = value

    def update(self, other: dict[str, Any]) -> None:
        for word, value in dict(other).items():
            self[word] = value

    def __len__(self) -> int:  # entries of the file, before any run-time addition
        return self._table.counts[0 if self is self._table.freq else 1]


def write_table(path: Path, freq: dict[str, int], total: int, tags: dict[str, str]) -> None:
    """Write jieba's two tables grouped by first character (temp file + os.replace)."""
    groups: dict[str, list[str]] = {}
    for word in sorted(set(freq) | set(tags)):
        if not word or any(c in word for c in "\t\n"):
            continue  # jieba's dictionary has neither; skipping keeps the format unambiguous
        f, tag = freq.get(word), tags.get(word)
        groups.setdefault(word[0], []).append(f"{word}\t{NONE if f is None else f}\t{NONE if tag is None else tag}")
    blob, blocks, at = io.BytesIO(), {}, 0
    for ch, lines in groups.items():
        data = "\n".join(lines).encode("utf-8")
        blob.write(data)
        blocks[ch] = (at, at + len(data))
        at += len(data)
    header = marshal.dumps({"total": total, "counts": (len(freq), len(tags)), "blocks": blocks})
    write_atomic(path, FORMAT + len(header).to_bytes(8, "little") + header + blob.getvalue())


def _code_key(code: Any) -> str:
    """A function's bytecode and constants, nested functions included (their reprs carry addresses)."""
    consts = [_code_key(c) if hasattr(c, "co_code") else repr(c) for c in code.co_consts]
    return code.co_code.hex() + repr(consts) + repr(code.co_names)


def cached(name: str, sources: Iterable[Path], compute: Callable[[], T]) -> T:
    """`compute()`, kept in cache_dir() with marshal and remade when it could differ.

    The key holds the source files' sizes and mtimes, the Python version (marshal's format) and
    `compute`'s own code; a value marshal cannot hold, or a folder that cannot be written, only
    means computing it every time. For tables parsed from package data (CC-CEDICT's word list).
    """
    stamp = [sys.version, name, _code_key(compute.__code__)]
    stamp += [f"{p}:{st.st_size}:{st.st_mtime_ns}" for p in sources for st in [Path(p).stat()]]
    path = cache_dir() / f"{name}-{hashlib.sha256(chr(0).join(stamp).encode()).hexdigest()[:20]}.marshal"
    try:
        return marshal.loads(path.read_bytes())
    except (OSError, ValueError, EOFError, TypeError):
        pass
    value = compute()
    try:
        write_atomic(path, marshal.dumps(value))
    except (OSError, ValueError):
        pass
    return value


def _default_tokenizer_untouched() -> bool:
    import jieba

    dt = jieba.dt
    return dt.dictionary == jieba.DEFAULT_DICT and not dt.user_word_tag_tab


def save_loaded_tables(replace: bool = False) -> Path | None:
    """Write the table from a jieba that is already fully loaded (after a build); None when it is not."""
    if "jieba" not in sys.modules or "jieba.posseg" not in sys.modules:
        return None
    import jieba
    import jieba.posseg

    freq, tags = jieba.dt.FREQ, jieba.posseg.dt.word_tag_tab
    if not (jieba.dt.initialized and _default_tokenizer_untouched() and type(freq) is dict and type(tags) is dict):
        return None
    try:
        path = table_path()
        if replace or not path.exists():
            write_table(path, freq, jieba.dt.total, tags)
        return path
    except OSError:
        return None  # a cache that cannot be written only costs time


def make_table() -> Path | None:
    """Load jieba fully once (as the build does) and write its table (over an unreadable one)."""
    import jieba

    jieba.dt.check_initialized()
    import jieba.posseg  # noqa: F401 - reads the tags

    return save_loaded_tables(replace=True)


def install() -> bool:
    """Give jieba (and jieba.posseg) the on-demand tables; False when jieba loads the usual way instead.

    Only before jieba's first cut in this process, with its default dictionary; when no table
    has been written yet (or it cannot be read), jieba is loaded fully and the table written.
    """
    import jieba

    dt = jieba.dt
    if dt.initialized or dt.FREQ or not _default_tokenizer_untouched():
        return False
    if "jieba.posseg" in sys.modules and type(sys.modules["jieba.posseg"].dt.word_tag_tab) is dict:
        return False  # its tags are already loaded: nothing left to save
    try:
        path = table_path()
        table = JiebaTable(path) if path.exists() else None
    except (OSError, ValueError, EOFError, KeyError, TypeError):
        table = None
    if table is None:
        make_table()
        return False
    with dt.lock:
        dt.FREQ, dt.total, dt.initialized = table.freq, table.total, True
    if "jieba.posseg" not in sys.modules:
        dt.get_dict_file = lambda: io.BytesIO(b"")  # its import would read every tag: give it none
        try:
            import jieba.posseg
        finally:
            del dt.get_dict_file
    sys.modules["jieba.posseg"].dt.word_tag_tab = table.tags
    return True


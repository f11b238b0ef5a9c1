"""citeqa: bilingual (Chinese/English) question answering over documents, with cited passages.

    >>> from citeqa import build_index, Searcher             # doctest: +SKIP
    >>> build_index("corpus", "index")                          # doctest: +SKIP
    >>> Searcher.load("index").search("UKRI 每年管理多少经费？").hits[0].text  # doctest: +SKIP

Names are imported on first use, so `import citeqa` stays cheap for the command line.
"""

from __future__ import annotations

from importlib import import_module

_EXPORTS = {
    "Searcher": "searcher",
    "Filters": "query",
    "Query": "query",
    "QueryError": "query",
    "Weights": "fusion",
    "build_index": "build",
    "BuildReport": "build",
    "Hit": "models",
    "Chunk": "models",
    "Document": "models",
    "SearchResult": "models",
    "Citation": "models",
    "get_encoder": "embed",
    "Encoder": "embed",
    "VectorStore": "vectorstore",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> object:
    if name in _EXPORTS:
        return getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module 'citeqa' has no attribute {name!r}")

"""Hybrid, cross-lingual passage search: the one path that the CLI, the app and eval share.

The searcher is composed of parts, one module each: `query` (understanding, both languages),
`lexical` (BM25 channels), `dense` (calibrated encoder channel over a VectorStore), `fusion`
(a pure function of channel scores), `cite` (hits, highlights, citations) and `abstain`;
`searcher.Searcher` puts them together. This module is the stable import path.
"""

from __future__ import annotations

from .fusion import Weights
from .query import MAX_QUERY_CHARS, Filters, Query, QueryError, concept_terms, normalize_query
from .searcher import Searcher

__all__ = ["MAX_QUERY_CHARS", "Filters", "Query", "QueryError", "Searcher", "Weights", "concept_terms", "normalize_query"]

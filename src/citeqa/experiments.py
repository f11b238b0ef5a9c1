"""Named retrieval variants for ablations (`citeqa eval --compare`): each switches one part off or isolates one channel."""

from __future__ import annotations

from typing import Any

OFF = dict(dense=0.0, dense_cross=0.0, lexical=0.0, lexical_cross=0.0, lexical_rel=0.0, dense_rel=0.0, shared_rel=0.0, shared_abs=0.0, same_language=0.0, facet_boost=0.0, answer_type=0.0)

ABLATIONS: dict[str, dict[str, Any]] = {
    "dense only": dict(OFF, dense=1.0),
    "lexical only (BM25 zh+en)": dict(OFF, lexical=1.0, lexical_cross=0.5),
    "hybrid, no cross-lingual": dict(use_gloss=False, use_cedict=False, use_doc_expansion=False, dense_cross=0.0),
    "− mined term pairs": dict(use_gloss=False),
    "− CC-CEDICT translation": dict(use_cedict=False),
    "− document-side expansion": dict(use_doc_expansion=False),
    "− dense in the other language": dict(dense_cross=0.0),
    "− cross-language lexical": dict(lexical_cross=0.0),
    "− shared words": dict(shared_rel=0.0, shared_abs=0.0),
    "− same-language handicap": dict(same_language=0.0),
    "− best sentence (whole passages only)": dict(sentence=0.0),
    "− cross-language encoder (e5 alone)": dict(cross_encoder=0.0),
    "− answer type (numbers for how-many / when questions)": dict(answer_type=0.0),
    "+ facet boost (0.15)": dict(facet_boost=0.15),
    "RRF instead of weighted fusion": dict(method="rrf"),
}

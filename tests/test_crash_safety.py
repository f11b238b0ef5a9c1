"""A build killed with SIGKILL at any point leaves the previous index loadable and unchanged."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from citeqa.search import Searcher
from citeqa.store import current_build, load_index

QUESTIONS = ["英国研究与创新署每年统筹管理多少科研经费？", "How often does the National Research Council review the NNI?"]


def _answers(index_dir):
    s = Searcher.load(index_dir)
    return [[(h.chunk.chunk_id, round(h.score, 5)) for h in s.search(q, k=5).hits] for q in QUESTIONS]


@pytest.mark.slow
def test_sigkill_during_rebuild_keeps_previous_index(built_index, corpus_dir, tmp_path):
    index = tmp_path / "index"
    shutil.copytree(built_index, index)
    before_build = current_build(index)
    before = _answers(index)
    before_vectors = load_index(index).vectors.copy()
    # kill at several points of a forced rebuild: start-up, reading, embedding, writing
    for delay in (0.3, 1.5, 3.0, 6.0, 9.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "citeqa.cli", "build", "--force", "--corpus", str(corpus_dir), "--index", str(index)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(os.environ, CITEQA_NO_CACHE="1"),
        )
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            proc.send_signal(signal.SIGKILL)
        proc.wait()
        data = load_index(index)  # checksums verified: never a half-written build
        if not finished:
            if current_build(index) != before_build:  # killed after the new build went live (during exit): it is whole
                load_index(index, verify="full")
                before_build = current_build(index)
            assert np.array_equal(data.vectors, before_vectors)
    assert _answers(index) == before

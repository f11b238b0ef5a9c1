"""Builds of one index run one at a time: parallel forced rebuilds never break CURRENT."""

from __future__ import annotations

import multiprocessing as mp
import time
import traceback
from pathlib import Path

import numpy as np
import pytest

from citeqa.store import current_build, load_index
from test_data_safety import HashEncoder

ROUNDS, PARALLEL = 20, 3


def _build(corpus: str, index: str, errors) -> None:
    from citeqa import cli

    try:
        cli.run_build(Path(corpus), Path(index), HashEncoder(), force=True)
    except BaseException:  # typer.Exit included: any failure is a finding
        errors.put(traceback.format_exc())


@pytest.mark.slow
def test_parallel_forced_builds_keep_a_valid_index(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("UKRI was created in 2018.\n\nIt brings together nine research councils.", encoding="utf-8")
    (corpus / "b.txt").write_text("英国研究与创新署统筹管理每年90亿英镑的科研经费。", encoding="utf-8")
    from citeqa import cli

    cli.run_build(corpus, index, HashEncoder(), quiet=True)  # warm: forked builders inherit loaded tokenizers
    ctx = mp.get_context("fork")
    errors = ctx.Queue()
    invalid = 0
    live_builds = set()
    for _ in range(ROUNDS):
        procs = [ctx.Process(target=_build, args=(str(corpus), str(index), errors)) for _ in range(PARALLEL)]
        for p in procs:
            p.start()
        while any(p.is_alive() for p in procs):  # readers meanwhile always find a complete build
            if current_build(index) is not None:
                try:
                    load_index(index)
                except Exception:
                    invalid += 1
            time.sleep(0.05)
        for p in procs:
            p.join()
        assert current_build(index) is not None and load_index(index).chunks
        live_builds.add(current_build(index).name)
    found = [errors.get() for _ in range(errors.qsize())]
    assert found == [] and invalid == 0
    assert len(live_builds) == ROUNDS  # every round really rebuilt
    data = load_index(index)
    builds = [p for p in index.iterdir() if p.name.startswith(("build-", ".tmp-"))]
    assert len(builds) <= 2 and not [p for p in builds if p.name.startswith(".tmp-")]
    # the final index answers: a passage's own vector finds that passage first
    (row, score), = data.store.search(data.vectors[0], 1)
    assert row == 0 and np.isclose(score, 1.0, atol=1e-4)

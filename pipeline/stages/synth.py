"""Stage ``synth``: the synthetic TUSZ-layout corpus and its hidden truth (spec section 10).

Only runs the generator when ``data.source`` is ``synthetic``; for real data it
writes a placeholder README into ``synth.out_dir`` and leaves ``data.root``
(the user's corpus) untouched.
"""

from __future__ import annotations

from pipeline.config import Params
from pipeline.io.atomic import atomic_path
from pipeline.synth.corpus import generate_corpus, write_truth


def run(params: Params) -> dict | None:
    """Write ``synth.out_dir``; return the truth's summary (None when skipped)."""
    synth = params.synth
    with atomic_path(synth.out_dir) as tmp:
        tmp.mkdir(parents=True)
        if params.data.source != "synthetic":
            (tmp / "README.md").write_text(
                f"data.source = {params.data.source}: no synthetic corpus generated.\n",
                encoding="utf-8",
            )
            return None
        truth = generate_corpus(synth, tmp / synth.corpus_dir.name, params.seed)
        write_truth(truth, tmp / synth.truth_path.name)
    return truth["summary"]

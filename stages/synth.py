"""DVC stage ``synth``: write the synthetic TUSZ-layout corpus and its hidden truth.

Only runs the generator when ``data.source`` is ``synthetic``; for real data it
writes a placeholder README into ``synth.out_dir`` and leaves ``data.root``
(the user's corpus) untouched.
"""

from __future__ import annotations

from pipeline.config import load_params
from pipeline.io.atomic import atomic_path
from pipeline.synth.corpus import generate_corpus, write_truth


def main() -> None:
    params = load_params("params.yaml")
    if params.data.source != "synthetic":
        out = params.synth.out_dir
        with atomic_path(out) as tmp:
            tmp.mkdir(parents=True)
            (tmp / "README.md").write_text(
                f"data.source = {params.data.source}: no synthetic corpus generated.\n",
                encoding="utf-8",
            )
        print(f"synth: skipped (data.source = {params.data.source}) -> {out}")
        return
    synth = params.synth
    with atomic_path(synth.out_dir) as tmp:
        tmp.mkdir(parents=True)
        truth = generate_corpus(synth, tmp / synth.corpus_dir.name, params.seed)
        write_truth(truth, tmp / synth.truth_path.name)
    s = truth["summary"]
    print(
        f"synth: {s['patients']} patients, {s['recordings']} recordings, "
        f"{s['seizures']} seizures, {s['seconds']:.0f} s -> {params.data.root}, "
        f"truth {params.synth.truth_path}"
    )


if __name__ == "__main__":
    main()

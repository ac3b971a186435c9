"""Fixtures shared by more than one test module (helpers proper live in ``tests/helpers/``).

Imports of the heavier pipeline modules happen inside the fixtures, so that a run
of unrelated tests does not pay for them.
"""

from __future__ import annotations

import pytest


@pytest.fixture
def ref_embedder(tmp_path):
    """A gensim embedder with seeded random vectors for every word of the 20 reference concepts.

    Used by ``text/test_labels.py`` and ``text/test_concept_bank.py``.
    """
    from tests.helpers.text import reference_embedder

    return reference_embedder(tmp_path)


@pytest.fixture
def cohort(tmp_path):
    """A learnable 24-patient cohort under ``tmp_path``: ``(paths, folds, crops)``.

    ``paths`` are :func:`tests.helpers.szxai.make_cohort`'s files (so
    ``cohort_params(tmp_path)`` points at them), ``folds`` is its ``folds.csv`` and
    ``crops`` every patient's crops. Used by ``szxai/test_references.py`` and
    ``szxai/test_szxai.py``.
    """
    import polars as pl

    from pipeline.szxai.data import read_crops, read_labels
    from tests.helpers.szxai import make_cohort

    paths = make_cohort(tmp_path, n_subjects=24, strength=3.0)
    folds = pl.read_csv(paths["folds"])
    crops = read_crops(paths["latents"], read_labels(paths["labels"]), set(folds["subject"]))
    return paths, folds, crops

"""Patient-bootstrap interval of the macro AUROC and the weighted Mann-Whitney area."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pipeline.evaluate.metrics import (
    bootstrap_macro_auroc,
    macro_auroc,
    patient_bootstrap_weights,
    weighted_auroc,
)


def test_weighted_auroc_is_scikit_learns_on_the_resampled_set():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 50)
    scores = np.round(rng.random(50) + 0.3 * y, 1)  # rounded: many ties
    assert weighted_auroc(y, scores, np.ones((1, 50)))[0] == pytest.approx(roc_auc_score(y, scores))
    counts = rng.integers(0, 4, size=(3, 50))
    expected = [roc_auc_score(np.repeat(y, c), np.repeat(scores, c)) for c in counts]
    np.testing.assert_allclose(weighted_auroc(y, scores, counts), expected)
    # No negative weight left: undefined.
    assert np.isnan(weighted_auroc(y, scores, (y == 1)[None].astype(float))[0])


def test_patient_draws_keep_a_patients_crops_together_and_are_seeded():
    groups = np.array(["a", "a", "b", "c", "c", "c"])
    weights = patient_bootstrap_weights(groups, 200, seed=1)
    assert weights.shape == (200, 6)
    assert (weights[:, 0] == weights[:, 1]).all() and (weights[:, 3] == weights[:, 5]).all()
    # Each draw picks 3 patients: their counts sum to 3.
    assert (weights[:, [0, 2, 3]].sum(axis=1) == 3).all()
    np.testing.assert_array_equal(weights, patient_bootstrap_weights(groups[::-1], 200, 1)[:, ::-1])
    assert not np.array_equal(weights, patient_bootstrap_weights(groups, 200, seed=2))


def _cohort(n_patients: int, seed: int = 0, n_concepts: int = 5):
    """Two crops per patient, patient-level labels, scores with a moderate signal."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, size=(n_patients, n_concepts))
    labels = np.repeat(labels, 2, axis=0)
    scores = labels + rng.normal(scale=1.2, size=labels.shape)
    groups = np.repeat([f"p{i:03d}" for i in range(n_patients)], 2)
    return labels, scores, groups


def test_interval_contains_the_point_estimate_and_narrows_with_more_patients():
    widths = {}
    for n in (12, 200):
        labels, scores, groups = _cohort(n)
        point, low, high = bootstrap_macro_auroc(labels, scores, groups, n_draws=1000, seed=3)
        assert point == pytest.approx(macro_auroc(labels, scores))
        assert low < point < high
        widths[n] = high - low
    assert widths[200] < widths[12] / 2.5  # ~ 1 / sqrt(n)
    # Seeded: the same interval twice.
    labels, scores, groups = _cohort(12)
    first = bootstrap_macro_auroc(labels, scores, groups, n_draws=200, seed=3)
    assert bootstrap_macro_auroc(labels, scores, groups, n_draws=200, seed=3) == first


def test_excluded_concepts_do_not_count():
    labels, scores, groups = _cohort(30)
    scores[:, 0] = -scores[:, 0]  # concept 0 ranked backwards
    include = np.array([False, True, True, True, True])
    point, *_ = bootstrap_macro_auroc(labels, scores, groups, include, n_draws=50)
    assert point == pytest.approx(macro_auroc(labels[:, 1:], scores[:, 1:]))


def test_a_table_sized_bootstrap_takes_seconds():
    labels, scores, groups = _cohort(150, n_concepts=20)  # 300 crops, 20 concepts
    started = time.perf_counter()
    bootstrap_macro_auroc(labels, scores, groups, n_draws=1000, seed=0)
    # ~0.2 s here; the bound only guards against a non-vectorised rewrite on a busy machine.
    assert time.perf_counter() - started < 20

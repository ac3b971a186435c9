"""Patient-bootstrap intervals of Table 1, paired comparisons, the weighted Mann-Whitney area."""

from __future__ import annotations

import time

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from pipeline.metrics import (
    METRICS,
    bootstrap_macro_scores,
    macro_auroc,
    macro_metrics,
    paired_bootstrap,
    patient_bootstrap_weights,
    percentile_interval,
    weighted_auroc,
)


def bootstrap_macro_auroc(labels, scores, groups, include=None, n_draws=1000, seed=0):
    """Pooled macro AUROC and its 95 % interval, as Table 1 reads them off the draws."""
    draws = bootstrap_macro_scores(labels, scores, groups, 0.5, include, n_draws, seed)["auroc"]
    return (float(draws[0]), *percentile_interval(draws[1:]))


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


def test_bootstrapped_metrics_equal_the_metrics_of_each_resampled_set():
    labels, scores, groups = _cohort(12, seed=4)
    probs = 1 / (1 + np.exp(-scores))
    include = np.array([True, True, False, True, True])
    draws = bootstrap_macro_scores(labels, probs, groups, 0.5, include, n_draws=20, seed=9)
    weights = patient_bootstrap_weights(groups, 20, seed=9).astype(int)
    keep = labels[:, include], probs[:, include]
    for k in (0, 3, 17):  # index 0: the crops as they are; k > 0: draw k
        counts = np.ones(len(labels), int) if k == 0 else weights[k - 1]
        y, p = (np.repeat(a, counts, axis=0) for a in keep)
        expected = macro_metrics(y, p >= 0.5)
        for name in METRICS:
            assert draws[name][k] == pytest.approx(expected[name], nan_ok=True), (name, k)
        assert draws["auroc"][k] == pytest.approx(macro_auroc(y, p))


def test_paired_bootstrap_is_the_percentile_interval_of_the_per_draw_differences():
    labels, scores, groups = _cohort(40, seed=5)
    better = bootstrap_macro_scores(labels, scores, groups, 0.5, n_draws=500, seed=2)["auroc"]
    noisy = scores + np.random.default_rng(6).normal(scale=2.0, size=scores.shape)
    worse = bootstrap_macro_scores(labels, noisy, groups, 0.5, n_draws=500, seed=2)["auroc"]
    delta, low, high, p = paired_bootstrap(better, worse)
    differences = better - worse
    assert delta == pytest.approx(macro_auroc(labels, scores) - macro_auroc(labels, noisy))
    assert (low, high) == pytest.approx(tuple(np.percentile(differences[1:], [2.5, 97.5])))
    tail = min((differences[1:] <= 0).sum(), (differences[1:] >= 0).sum())
    assert p == pytest.approx(2 * (tail + 1) / 501)
    assert low > 0 and p < 0.01  # far more noise on one side: a real difference
    # A row against itself: no difference, p = 1.
    assert paired_bootstrap(better, better) == (0.0, 0.0, 0.0, 1.0)


def test_paired_comparisons_pair_folds_for_wilcoxon_and_patients_for_the_bootstrap():
    import polars as pl
    from scipy.stats import wilcoxon

    from pipeline.evaluate.collect import paired_comparisons

    rng = np.random.default_rng(3)
    methods = ("szxai", "yan", "probe")
    per_fold = pl.DataFrame([
        {"detector": "deepsoz", "method": m, "fold": f, "auroc": float(rng.random())}
        for f in range(10) for m in methods
    ])  # fmt: skip
    labels, scores, groups = _cohort(30, seed=8)
    draws = {("deepsoz", m): bootstrap_macro_scores(
        labels, scores + rng.normal(scale=k, size=scores.shape), groups, 0.5, n_draws=200, seed=1)
        for k, m in enumerate(methods)}  # fmt: skip
    table = paired_comparisons(draws, per_fold, "szxai")
    assert table["method"].to_list() == ["yan", "probe"]
    for row in table.iter_rows(named=True):
        first = per_fold.filter(pl.col("method") == "szxai").sort("fold")["auroc"].to_numpy()
        other = per_fold.filter(pl.col("method") == row["method"]).sort("fold")["auroc"].to_numpy()
        assert row["p_wilcoxon"] == pytest.approx(wilcoxon(first - other).pvalue)
        assert row["delta_folds"] == pytest.approx(np.mean(first - other))
        expected = paired_bootstrap(draws["deepsoz", "szxai"]["auroc"],
                                    draws["deepsoz", row["method"]]["auroc"])  # fmt: skip
        assert (row["delta_pooled"], row["delta_low"], row["delta_high"],
                row["p_bootstrap"]) == pytest.approx(expected)  # fmt: skip
    # Benjamini-Hochberg over the detector's comparisons: never below the raw p.
    assert (table["q_bh"] >= table["p_bootstrap"] - 1e-12).all()

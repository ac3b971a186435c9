"""The reference rows of Table 1 (spec section 11): pooling, probes, fold discipline."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.registry import REFERENCES
from pipeline.stages.train import split_fold
from pipeline.szxai import references
from pipeline.szxai.probe import fit_predict, pool_crops, probe_predict
from pipeline.szxai.references import read_pooled, reference_predictions
from tests.helpers.szxai import FEATURE_DIM, PRE_DIM, SEIZURE_SIDE


def test_pooling_is_the_p_sz_weighted_mean_per_side_without_padding(cohort):
    _, _, crops = cohort
    pooled = pool_crops(crops)
    assert pooled.shape == (len(crops), 2, crops.h.shape[-1])
    for i in (0, 5):
        real = crops.mask[i]
        p, h = crops.p_sz[i][real].astype(float), crops.h[i][real].astype(float)
        np.testing.assert_allclose(pooled[i, 0], (p[:, None] * h).sum(0) / p.sum(), rtol=1e-6)
        q = 1 - p
        np.testing.assert_allclose(pooled[i, 1], (q[:, None] * h).sum(0) / q.sum(), rtol=1e-6)


def test_streamed_pooling_matches_the_in_memory_one(cohort, monkeypatch):
    paths, _, crops = cohort
    # Batches of 7 rows: every 30-window crop is split over several batches.
    monkeypatch.setattr(references, "_BATCH_ROWS", 7)
    pooled = read_pooled(REFERENCES, crops.crop_ids[::-1], paths["latents"], paths["features"])
    shapes = {name: x.shape for name, x in pooled.items()}
    n = len(crops)
    assert shapes == {"features": (n, 2, FEATURE_DIM), "probe": (n, 2, 8),
                      "probe-random": (n, 2, 8), "probe-pre": (n, 2, PRE_DIM)}  # fmt: skip
    np.testing.assert_allclose(pooled["probe"][::-1], pool_crops(crops), rtol=1e-6)


def test_a_features_file_of_other_windows_is_refused(cohort, tmp_path):
    paths, _, crops = cohort
    features = pl.read_parquet(paths["features"])
    shorter = tmp_path / "shorter.parquet"
    features.filter(pl.col("window_index") < 29).write_parquet(shorter)
    with pytest.raises(ValueError, match="differ from the latents"):
        read_pooled(["features"], crops.crop_ids, paths["latents"], shorter)
    with pytest.raises(FileNotFoundError, match="train.references"):
        read_pooled(["features"], crops.crop_ids, paths["latents"], tmp_path / "absent.parquet")


def test_probe_is_class_balanced_and_a_one_class_concept_predicts_its_prevalence():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(60, 4))
    y = (x[:, 0] + 0.8 * rng.normal(size=60) > 1.6).astype(int)  # rare: ~10 % positives
    assert 2 <= y.sum() <= 15
    test = rng.normal(size=(20, 4))
    weighted = LogisticRegression(C=0.1, class_weight="balanced", max_iter=5000)
    balanced = make_pipeline(StandardScaler(), weighted)
    expected = balanced.fit(x, y).predict_proba(test)[:, 1]
    np.testing.assert_allclose(fit_predict(x, y, test, c=0.1), expected)
    # Balanced: the rare class is not drowned, mean probability near one half.
    unweighted = make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=5000))
    assert fit_predict(x, y, x).mean() > unweighted.fit(x, y).predict_proba(x)[:, 1].mean() + 0.2
    np.testing.assert_array_equal(fit_predict(x, np.ones(60), test), np.ones(20))
    np.testing.assert_array_equal(fit_predict(x, np.zeros(60), test), np.zeros(20))


def test_each_concept_reads_its_own_side():
    # Side 0 (p_sz-pooled) carries the label of seizure concept 0, side 1 that of concept 1.
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, size=(80, 2))
    pooled = rng.normal(size=(80, 2, 1))
    pooled[:, 0, 0] += 3 * y[:, 0]
    pooled[:, 1, 0] += 3 * y[:, 1]
    probs = probe_predict(pooled[:60], y[:60], pooled[60:], np.array([True, False]))
    assert roc_auc_score(y[60:, 0], probs[:, 0]) > 0.95
    assert roc_auc_score(y[60:, 1], probs[:, 1]) > 0.95
    swapped = probe_predict(pooled[:60], y[:60], pooled[60:], np.array([False, True]))
    assert roc_auc_score(y[60:, 0], swapped[:, 0]) < 0.8


def _fold_rows(crops, folds, fold):
    train, val, test = split_fold(crops, folds, fold, 0.2, seed=3)
    position = {c: i for i, c in enumerate(crops.crop_ids)}
    train_rows = np.array([position[c] for part in (train, val) for c in part.crop_ids])
    return train_rows, np.array([position[c] for c in test.crop_ids])


def test_references_see_training_crops_only(cohort):
    paths, folds, crops = cohort
    pooled = read_pooled(REFERENCES, crops.crop_ids, paths["latents"], paths["features"])
    train_rows, test_rows = _fold_rows(crops, folds, 1)
    assert not set(train_rows) & set(test_rows)
    first = reference_predictions(pooled, train_rows, test_rows, crops.labels, SEIZURE_SIDE, 0.1)
    # Flipping every held-out label changes no held-out prediction ...
    flipped = crops.labels.copy()
    flipped[test_rows] = 1 - flipped[test_rows]
    again = reference_predictions(pooled, train_rows, test_rows, flipped, SEIZURE_SIDE, 0.1)
    for name in REFERENCES:
        np.testing.assert_array_equal(first[name], again[name])
    # ... while flipping training labels does (the test can fail).
    flipped = crops.labels.copy()
    flipped[train_rows[:5]] = 1 - flipped[train_rows[:5]]
    changed = reference_predictions(pooled, train_rows, test_rows, flipped, SEIZURE_SIDE, 0.1)
    assert not np.array_equal(first["probe"], changed["probe"])


def test_probe_finds_planted_concepts_and_the_random_control_does_not(cohort):
    paths, folds, crops = cohort
    pooled = read_pooled(REFERENCES, crops.crop_ids, paths["latents"], paths["features"])
    scores = {name: np.zeros(crops.labels.shape) for name in REFERENCES}
    for fold in range(3):
        train_rows, test_rows = _fold_rows(crops, folds, fold)
        probs = reference_predictions(
            pooled, train_rows, test_rows, crops.labels, SEIZURE_SIDE, 0.1
        )
        for name in REFERENCES:
            scores[name][test_rows] = probs[name]
    auroc = {name: roc_auc_score(crops.labels, s, average="macro") for name, s in scores.items()}
    assert auroc["probe"] > 0.9 and auroc["features"] > 0.9 and auroc["probe-pre"] > 0.9
    assert 0.2 < auroc["probe-random"] < 0.8, auroc

"""Per-concept metrics against scikit-learn, the zero-division rule and the chance level."""

import numpy as np
import pytest
from sklearn.metrics import precision_score, recall_score, roc_auc_score

from pipeline.metrics import (
    chance_metrics,
    macro_auroc,
    macro_metrics,
    per_concept_auroc,
    per_concept_metrics,
)


@pytest.mark.parametrize("seed", range(5))
def test_per_concept_metrics_match_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.random((40, 20)) < rng.uniform(0, 0.6, 20)
    y_pred = rng.random((40, 20)) < 0.3
    y_true[:, 3] = False  # a concept with zero positives
    y_pred[:, 5] = False  # a concept never predicted
    ours = per_concept_metrics(y_true, y_pred)
    for name, fn in (("recall", recall_score), ("precision", precision_score)):
        expected = fn(y_true, y_pred, average=None, zero_division=np.nan)
        np.testing.assert_allclose(ours[name], expected, equal_nan=True)
    # Specificity is the recall of the negative class.
    expected = recall_score(~y_true, ~y_pred, average=None, zero_division=np.nan)
    np.testing.assert_allclose(ours["specificity"], expected, equal_nan=True)
    assert np.isnan(ours["recall"][3]) and np.isnan(ours["precision"][5])


def test_macro_average_skips_undefined_concepts():
    y_true = np.array([[1, 0], [0, 0], [1, 0]])
    y_pred = np.array([[1, 1], [0, 0], [0, 0]])
    macro = macro_metrics(y_true, y_pred)
    assert macro["recall"] == pytest.approx(0.5)  # concept 1 has no positives: skipped
    assert macro["precision"] == pytest.approx((1.0 + 0.0) / 2)
    assert macro["specificity"] == pytest.approx((1.0 + 2 / 3) / 2)


def test_chance_level_is_near_its_expectation():
    rng = np.random.default_rng(0)
    prevalence = np.linspace(0.1, 0.5, 20)
    y_true = rng.random((400, 20)) < prevalence
    chance = chance_metrics(y_true, prevalence, seed=1, n_draws=50)
    # Independent random predictions: recall = p, precision = test prevalence, spec = 1 - p.
    assert chance["recall"] == pytest.approx(prevalence.mean(), abs=0.02)
    assert chance["specificity"] == pytest.approx(1 - prevalence.mean(), abs=0.02)
    assert chance["precision"] == pytest.approx(y_true.mean(axis=0).mean(), abs=0.02)
    assert chance["auroc"] == pytest.approx(0.5, abs=0.02)  # predictions ignore the labels


@pytest.mark.parametrize("seed", range(3))
def test_per_concept_auroc_matches_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y_true = rng.random((30, 6)) < 0.4
    y_true[:, 2] = True  # one class only: undefined
    y_true[0, 0], y_true[1, 0] = True, False  # both classes in concept 0 whatever the draw
    scores = np.round(rng.random((4, 30, 6)), 1)  # rounded: ties between the classes
    ours = per_concept_auroc(y_true, scores)
    assert ours.shape == (4, 6) and np.isnan(ours[:, 2]).all()
    defined = [n for n in range(6) if n != 2]
    for draw in range(4):
        expected = roc_auc_score(y_true[:, defined], scores[draw][:, defined], average=None)
        np.testing.assert_allclose(ours[draw, defined], expected)
    assert macro_auroc(y_true, scores[0]) == pytest.approx(np.mean(ours[0, defined]))


def test_auroc_by_hand():
    y_true = np.array([[1], [1], [0], [0]])
    # Positives 0.9 and 0.4, negatives 0.4 and 0.1: pairs (0.9 > both) 2, (0.4 = 0.4) 0.5,
    # (0.4 > 0.1) 1 -> 3.5 of 4.
    assert macro_auroc(y_true, np.array([[0.9], [0.4], [0.4], [0.1]])) == pytest.approx(3.5 / 4)
    assert np.isnan(macro_auroc(np.ones((3, 1)), np.random.default_rng(0).random((3, 1))))


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="shape mismatch"):
        per_concept_metrics(np.zeros((3, 2)), np.zeros((3, 3)))

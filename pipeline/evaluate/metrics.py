"""Per-concept classification metrics and the empirical chance level.

Recall, precision and specificity score thresholded predictions (Table 1 of
the paper); the ROC area scores the probabilities themselves, so it ranks
methods whatever their calibration (a method that predicts few concepts gains
specificity at the threshold, not AUROC).

Undefined ratios follow one documented rule: a concept whose denominator is
zero in a fold (no true positives + false negatives for recall, no predicted
positives for precision, no negatives for specificity) contributes NaN and is
left out of the average over concepts. This is scikit-learn's
``zero_division=np.nan`` and avoids rewarding or punishing a fold for a
concept it cannot measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import mannwhitneyu

#: Metrics of thresholded predictions.
METRICS: tuple[str, ...] = ("recall", "precision", "specificity")
#: The columns of Table 1: the thresholded metrics, then the threshold-free ROC area.
TABLE_METRICS: tuple[str, ...] = (*METRICS, "auroc")


@dataclass(frozen=True)
class ConceptCounts:
    """Confusion counts per concept, each of shape (n_concepts,)."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray

    @classmethod
    def from_predictions(cls, y_true: np.ndarray, y_pred: np.ndarray) -> ConceptCounts:
        """Counts from binary matrices of shape (n_samples, n_concepts)."""
        y_true = np.asarray(y_true).astype(bool)
        y_pred = np.asarray(y_pred).astype(bool)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"shape mismatch: truth {y_true.shape} vs prediction {y_pred.shape}")
        return cls(
            tp=(y_true & y_pred).sum(axis=0),
            fp=(~y_true & y_pred).sum(axis=0),
            fn=(y_true & ~y_pred).sum(axis=0),
            tn=(~y_true & ~y_pred).sum(axis=0),
        )


def _ratio(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    out = np.full(numerator.shape, np.nan)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def per_concept_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, np.ndarray]:
    """Recall, precision and specificity of each concept.

    Parameters
    ----------
    y_true, y_pred : ndarray, shape (n_samples, n_concepts)
        Binary labels and predictions (one row per crop).

    Returns
    -------
    dict of str -> ndarray, shape (n_concepts,)
        ``recall``, ``precision``, ``specificity``; NaN where undefined.
    """
    c = ConceptCounts.from_predictions(y_true, y_pred)
    return {
        "recall": _ratio(c.tp, c.tp + c.fn),
        "precision": _ratio(c.tp, c.tp + c.fp),
        "specificity": _ratio(c.tn, c.tn + c.fp),
    }


def macro_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """The per-concept metrics averaged over the concepts where they are defined."""
    per_concept = per_concept_metrics(y_true, y_pred)
    return {name: _nanmean(values) for name, values in per_concept.items()}


def per_concept_auroc(y_true: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """Area under the ROC curve of each concept; NaN where a concept has one class only.

    The area is the Mann-Whitney U of the positives' scores divided by
    n_pos x n_neg (ties count one half), which equals scikit-learn's
    ``roc_auc_score`` and is vectorised over leading axes of ``scores``.

    Parameters
    ----------
    y_true : ndarray, shape (n_samples, n_concepts)
        Binary labels.
    scores : ndarray, shape (..., n_samples, n_concepts)
        Scores (probabilities, or several draws of random predictions).

    Returns
    -------
    ndarray, shape (..., n_concepts)
    """
    y_true = np.asarray(y_true).astype(bool)
    scores = np.asarray(scores, dtype=float)
    if scores.shape[-2:] != y_true.shape:
        raise ValueError(f"shape mismatch: truth {y_true.shape} vs scores {scores.shape}")
    out = np.full((*scores.shape[:-2], y_true.shape[1]), np.nan)
    for concept in range(y_true.shape[1]):
        positive = y_true[:, concept]
        n_pos, n_neg = int(positive.sum()), int((~positive).sum())
        if n_pos and n_neg:
            column = scores[..., concept]
            u = mannwhitneyu(column[..., positive], column[..., ~positive], axis=-1).statistic
            out[..., concept] = u / (n_pos * n_neg)
    return out


def macro_auroc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The per-concept ROC areas averaged over the concepts where they are defined."""
    return _nanmean(per_concept_auroc(y_true, scores))


def _nanmean(values: np.ndarray) -> float:
    finite = values[~np.isnan(values)]
    return float(finite.mean()) if finite.size else float("nan")


def chance_metrics(
    y_true: np.ndarray, train_prevalence: np.ndarray, seed: int, n_draws: int = 200
) -> dict[str, float]:
    """Empirical chance level: random predictions at the training-fold prevalence.

    Each concept is predicted present with probability equal to its frequency
    in the training fold, independently per crop; the macro metrics (and the
    ROC area of the 0/1 draws, about 0.5) are averaged over ``n_draws`` seeded
    draws.

    Parameters
    ----------
    y_true : ndarray, shape (n_samples, n_concepts)
        Held-out labels.
    train_prevalence : ndarray, shape (n_concepts,)
        Fraction of training crops with each concept.
    seed : int
    n_draws : int

    Returns
    -------
    dict of str -> float
        The keys of :data:`TABLE_METRICS`.
    """
    rng = np.random.default_rng(seed)
    y_true = np.asarray(y_true)
    draws = rng.random((n_draws, *y_true.shape)) < np.asarray(train_prevalence)
    scores = [macro_metrics(y_true, draw) for draw in draws]
    chance = {name: float(np.nanmean([s[name] for s in scores])) for name in METRICS}
    # Which concepts have both classes depends on y_true only: the same in every draw.
    chance["auroc"] = _nanmean(per_concept_auroc(y_true, draws).ravel())
    return chance

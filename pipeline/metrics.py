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
from sklearn.metrics import roc_auc_score

#: Metrics of thresholded predictions.
METRICS: tuple[str, ...] = ("recall", "precision", "specificity")
#: The columns of Table 1: the thresholded metrics, then the threshold-free ROC area.
TABLE_METRICS: tuple[str, ...] = (*METRICS, "auroc")


@dataclass(frozen=True)
class ConceptCounts:
    """Confusion counts per concept, each of shape (n_concepts,), or (n_draws, n_concepts)."""

    tp: np.ndarray
    fp: np.ndarray
    fn: np.ndarray
    tn: np.ndarray

    @classmethod
    def from_predictions(
        cls, y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray | None = None
    ) -> ConceptCounts:
        """Counts from binary matrices of shape (n_samples, n_concepts).

        With ``weights`` of shape (n_draws, n_samples) (how often each sample
        counts, e.g. bootstrap draws), one row of counts per draw.
        """
        y_true = np.asarray(y_true).astype(bool)
        y_pred = np.asarray(y_pred).astype(bool)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"shape mismatch: truth {y_true.shape} vs prediction {y_pred.shape}")

        def count(cells: np.ndarray) -> np.ndarray:
            return cells.sum(axis=0) if weights is None else weights @ cells

        return cls(
            tp=count(y_true & y_pred),
            fp=count(~y_true & y_pred),
            fn=count(y_true & ~y_pred),
            tn=count(~y_true & ~y_pred),
        )

    def ratios(self) -> dict[str, np.ndarray]:
        """Recall, precision and specificity of each concept; NaN where undefined."""
        return {
            "recall": _ratio(self.tp, self.tp + self.fn),
            "precision": _ratio(self.tp, self.tp + self.fp),
            "specificity": _ratio(self.tn, self.tn + self.fp),
        }


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
    return ConceptCounts.from_predictions(y_true, y_pred).ratios()


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


def binary_auroc(y_true: np.ndarray, scores: np.ndarray) -> float | None:
    """ROC area of one binary problem (e.g. seizure windows); None with one class only.

    scikit-learn's ``roc_auc_score``: for the long window-level vectors of the
    detectors, where :func:`per_concept_auroc`'s vectorisation over draws buys nothing.

    Parameters
    ----------
    y_true : ndarray, shape (n_samples,)
    scores : ndarray, shape (n_samples,)
    """
    y_true = np.asarray(y_true)
    if len(np.unique(y_true)) < 2:
        return None
    return float(roc_auc_score(y_true, scores))


def macro_auroc(y_true: np.ndarray, scores: np.ndarray) -> float:
    """The per-concept ROC areas averaged over the concepts where they are defined."""
    return _nanmean(per_concept_auroc(y_true, scores))


def weighted_auroc(y_true: np.ndarray, scores: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """ROC area of one concept under many weightings of the samples at once.

    With integer weights (how often each sample was drawn) this is the
    Mann-Whitney area of the resampled set: the weighted share of
    (positive, negative) pairs ranked right, ties counting one half. Samples
    are sorted once; per weighting, the negatives' weight below each distinct
    score is a cumulative sum, so B weightings cost O(B n).

    Parameters
    ----------
    y_true : ndarray of {0, 1}, shape (n,)
    scores : ndarray, shape (n,)
    weights : ndarray, shape (B, n)
        Non-negative weight of each sample in each of B weightings.

    Returns
    -------
    ndarray of float64, shape (B,)
        NaN where a weighting leaves no positive or no negative weight.
    """
    y = np.asarray(y_true).astype(bool)
    s = np.asarray(scores, dtype=float)
    w = np.atleast_2d(np.asarray(weights, dtype=float))
    out = np.full(w.shape[0], np.nan)
    if len(s) == 0:
        return out
    order = np.argsort(s, kind="stable")
    sorted_scores, w, y = s[order], w[:, order], y[order]
    # Start of each run of equal scores: ties share one group.
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    pos = np.add.reduceat(w * y, starts, axis=1)
    neg = np.add.reduceat(w * ~y, starts, axis=1)
    below = np.cumsum(neg, axis=1) - neg
    numerator = (pos * (below + 0.5 * neg)).sum(axis=1)
    denominator = pos.sum(axis=1) * neg.sum(axis=1)
    np.divide(numerator, denominator, out=out, where=denominator > 0)
    return out


def patient_bootstrap_weights(groups: np.ndarray, n_draws: int, seed: int) -> np.ndarray:
    """Sample weights of a bootstrap over patients: how often each sample's patient is drawn.

    Each draw resamples the distinct patients with replacement (as many as there
    are); a crop counts as often as its patient was drawn, so crops of one
    patient stay together. The draws depend only on the seed and the sorted
    set of patients, so every row scored on the same crops gets the same draws
    (paired intervals).

    Parameters
    ----------
    groups : array-like of str, shape (n,)
        Patient of each sample.
    n_draws : int
    seed : int

    Returns
    -------
    ndarray of float64, shape (n_draws, n)
    """
    patients, of_sample = np.unique(np.asarray(groups), return_inverse=True)
    n = len(patients)
    drawn = np.random.default_rng(seed).integers(0, n, size=(n_draws, n))
    # Count per (draw, patient) in one bincount over flattened indices.
    flat = (np.arange(n_draws)[:, None] * n + drawn).ravel()
    counts = np.bincount(flat, minlength=n_draws * n).reshape(n_draws, n)
    return counts[:, of_sample].astype(float)


def bootstrap_macro_scores(
    y_true: np.ndarray,
    scores: np.ndarray,
    groups: np.ndarray,
    threshold: float,
    include: np.ndarray | None = None,
    n_draws: int = 1000,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """Every Table 1 metric on pooled crops, as they are and under a bootstrap over patients.

    The draws come from :func:`patient_bootstrap_weights`, so two rows scored
    on the same patients get the same draws: their differences per draw are a
    paired bootstrap (:func:`paired_bootstrap`).

    Parameters
    ----------
    y_true : ndarray of {0, 1}, shape (n, N)
        Labels of the crops (all held-out crops, pooled over folds).
    scores : ndarray, shape (n, N)
        Probabilities.
    groups : array-like of str, shape (n,)
        Patient of each crop: the unit resampled.
    threshold : float
        Probability at or above which a concept counts as predicted.
    include : ndarray of bool, shape (N,), optional
        Concepts averaged (default all); in each draw, those where the metric
        is defined (the module's NaN rule).
    n_draws : int
    seed : int

    Returns
    -------
    dict of str -> ndarray of float64, shape (n_draws + 1,)
        Per metric of :data:`TABLE_METRICS`: index 0 on the crops as they
        are, then one value per draw (NaN where undefined).
    """
    y_true, scores = np.asarray(y_true).astype(bool), np.asarray(scores, dtype=float)
    include = np.ones(y_true.shape[1], bool) if include is None else np.asarray(include, bool)
    y_true, scores = y_true[:, include], scores[:, include]
    weights = np.vstack([np.ones(len(y_true)), patient_bootstrap_weights(groups, n_draws, seed)])
    per_concept = {
        **ConceptCounts.from_predictions(y_true, scores >= threshold, weights).ratios(),
        "auroc": np.stack(
            [weighted_auroc(y_true[:, n], scores[:, n], weights) for n in range(y_true.shape[1])],
            axis=1,
        ),
    }
    return {name: _nanmean_rows(per_concept[name]) for name in TABLE_METRICS}


def _nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Mean of each row over its finite entries; NaN for a row without any."""
    defined = ~np.isnan(values)
    counts = defined.sum(axis=1)
    out = np.full(len(values), np.nan)
    np.divide(np.where(defined, values, 0).sum(axis=1), counts, out=out, where=counts > 0)
    return out


def percentile_interval(draws: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """The percentile interval of the finite bootstrap draws; NaNs when there are none."""
    finite = np.asarray(draws, dtype=float)
    finite = finite[~np.isnan(finite)]
    if not finite.size:
        return float("nan"), float("nan")
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(finite, [tail, 100 - tail])
    return float(low), float(high)


def paired_bootstrap(
    first: np.ndarray, second: np.ndarray, level: float = 0.95
) -> tuple[float, float, float, float]:
    """The difference of two rows scored on the same bootstrap draws, its interval and p-value.

    Parameters
    ----------
    first, second : ndarray, shape (n_draws + 1,)
        From :func:`bootstrap_macro_scores` with the same patients and seed:
        index 0 on the crops as they are, then one value per draw.
    level : float

    Returns
    -------
    delta, low, high, p : float
        ``first - second`` on the crops as they are; the percentile interval
        of the paired differences; the two-sided bootstrap p-value of "no
        difference", 2 min(P*(d <= 0), P*(d >= 0)) with the +1 correction
        (Davison and Hinkley 1997, eq. 4.11), so it is never 0.
    """
    differences = np.asarray(first, float) - np.asarray(second, float)
    delta, draws = float(differences[0]), differences[1:]
    draws = draws[~np.isnan(draws)]
    if not draws.size:
        return delta, float("nan"), float("nan"), float("nan")
    low, high = percentile_interval(draws, level)
    tail = min(int((draws <= 0).sum()), int((draws >= 0).sum()))
    p = min(1.0, 2 * (tail + 1) / (draws.size + 1))
    return delta, low, high, p


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

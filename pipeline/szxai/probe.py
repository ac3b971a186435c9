"""Linear probes of pooled per-window vectors: the reference rows' model and a diagnostic.

Each crop is summarised, per concept side, by the mean of its per-window vectors
(latents, or hand-made EEG features) weighted by p_sz for seizure concepts and
by 1 - p_sz for non-seizure concepts (the weights of SzXAI's attention pooling,
Eq. 1), padding windows excluded. One class-balanced L2 logistic regression on
standardised inputs per concept maps its side's pooled vector to a
probability. The reference rows of Table 1 (:mod:`pipeline.szxai.references`)
fit it on each fold's training crops; :func:`probe_auroc` scores it by
patient-grouped cross-validation as a quick diagnostic (``analyses/probe_latents.py``):
around 0.5 means no concept head trained on these vectors can do better than chance.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.metrics import per_concept_auroc
from pipeline.szxai.data import Crops

#: Pooling sides, in the order of the second axis of :func:`pool_windows`' output.
SIDES: tuple[str, ...] = ("seizure", "non-seizure")
#: Inverse L2 strength of the probes unless told otherwise (``train.reference_c``).
DEFAULT_C = 0.1


def side_weights(p_sz: np.ndarray, real: np.ndarray) -> np.ndarray:
    """Pooling weights of each window, shape (..., 2): p_sz and 1 - p_sz, 0 at padding.

    Parameters
    ----------
    p_sz : ndarray, shape (...)
        Detector seizure probability per window.
    real : ndarray of bool, shape (...)
        False for padding windows.
    """
    p = np.asarray(p_sz, dtype=np.float64) * real
    return np.stack([p, (1.0 - np.asarray(p_sz, dtype=np.float64)) * real], axis=-1)


def weighted_sums(
    vectors: np.ndarray, weights: np.ndarray, crop: np.ndarray, n_crops: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per crop and side, the weighted sum of the window vectors and the sum of weights.

    The sums of several batches of rows add up, so a file can be pooled in
    pieces (:func:`pipeline.szxai.references.read_pooled`).

    Parameters
    ----------
    vectors : ndarray, shape (n_rows, d)
        One vector per window.
    weights : ndarray, shape (n_rows, 2)
        From :func:`side_weights`.
    crop : ndarray of int, shape (n_rows,)
        Crop of each row, in ``[0, n_crops)``.
    n_crops : int

    Returns
    -------
    sums : ndarray of float64, shape (2, n_crops, d)
    totals : ndarray of float64, shape (2, n_crops)
    """
    rows = np.arange(len(crop))
    sums, totals = [], []
    for side in range(weights.shape[1]):
        # A sparse (n_crops, n_rows) weight matrix: one product sums every crop at once.
        matrix = sparse.csr_matrix((weights[:, side], (crop, rows)), shape=(n_crops, len(crop)))
        sums.append(matrix @ np.asarray(vectors, dtype=np.float64))
        totals.append(np.asarray(matrix.sum(axis=1)).ravel())
    return np.stack(sums), np.stack(totals)


def pooled_means(sums: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """Weighted means from :func:`weighted_sums`, shape (n_crops, 2, d).

    A crop whose weights sum to zero on a side (no real window) pools to zeros.
    """
    means = np.zeros_like(sums)
    np.divide(sums, totals[..., None], out=means, where=totals[..., None] > 0)
    return np.moveaxis(means, 0, 1)


def pool_crops(crops: Crops, vectors: np.ndarray | None = None) -> np.ndarray:
    """Side-pooled vectors of padded crops, shape (n_crops, 2, d).

    Parameters
    ----------
    crops : Crops
        Supplies p_sz and the padding mask.
    vectors : ndarray, shape (n_crops, T, d), optional
        Per-window vectors aligned with ``crops``; default the latents ``crops.h``.
    """
    vectors = crops.h if vectors is None else vectors
    n, t, d = vectors.shape
    weights = side_weights(crops.p_sz, crops.mask).reshape(n * t, 2)
    sums, totals = weighted_sums(vectors.reshape(n * t, d), weights, np.repeat(np.arange(n), t), n)
    return pooled_means(sums, totals)


def concept_inputs(pooled: np.ndarray, seizure: np.ndarray) -> list[np.ndarray]:
    """Per concept, its side's pooled vectors: N arrays of shape (n_crops, d).

    Parameters
    ----------
    pooled : ndarray, shape (n_crops, 2, d)
    seizure : ndarray of bool, shape (N,)
        True for seizure concepts (pooled with p_sz), False for the others.
    """
    return [pooled[:, 0 if is_seizure else 1] for is_seizure in np.asarray(seizure, bool)]


def fit_predict(
    x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray, c: float = DEFAULT_C
) -> np.ndarray:
    """Probability of one concept for ``x_test`` from a probe fitted on the training crops.

    StandardScaler, then L2 logistic regression with ``class_weight="balanced"``
    (each class weighs half of the loss, so a rare concept is not ignored) and
    the deterministic lbfgs solver. A concept with one class in training
    predicts its training prevalence (0 or 1) for every crop.

    Parameters
    ----------
    x_train : ndarray, shape (n_train, d)
    y_train : ndarray of {0, 1}, shape (n_train,)
    x_test : ndarray, shape (n_test, d)
    c : float
        Inverse L2 strength.

    Returns
    -------
    ndarray of float64, shape (n_test,)
    """
    y_train = np.asarray(y_train).astype(int)
    if y_train.min() == y_train.max():
        return np.full(len(x_test), float(y_train.mean()))
    model = make_pipeline(
        StandardScaler(), LogisticRegression(C=c, class_weight="balanced", max_iter=5000)
    )
    return model.fit(x_train, y_train).predict_proba(x_test)[:, 1]


def probe_predict(
    pooled_train: np.ndarray,
    labels_train: np.ndarray,
    pooled_test: np.ndarray,
    seizure: np.ndarray,
    c: float = DEFAULT_C,
) -> np.ndarray:
    """Concept probabilities of held-out crops, one probe per concept.

    Parameters
    ----------
    pooled_train : ndarray, shape (n_train, 2, d)
        From :func:`pool_crops` or :func:`pipeline.szxai.references.read_pooled`.
    labels_train : ndarray of {0, 1}, shape (n_train, N)
    pooled_test : ndarray, shape (n_test, 2, d)
    seizure : ndarray of bool, shape (N,)
    c : float

    Returns
    -------
    ndarray of float64, shape (n_test, N)
    """
    train, test = concept_inputs(pooled_train, seizure), concept_inputs(pooled_test, seizure)
    columns = [
        fit_predict(x_train, y, x_test, c)
        for x_train, y, x_test in zip(train, np.asarray(labels_train).T, test, strict=True)
    ]
    return np.stack(columns, axis=1) if columns else np.zeros((len(pooled_test), 0))


def probe_auroc(
    crops: Crops, seizure: np.ndarray, n_splits: int = 5, c: float = DEFAULT_C
) -> np.ndarray:
    """Patient-grouped cross-validated AUROC of the latent probe, per concept.

    Parameters
    ----------
    crops : Crops
    seizure : ndarray of bool, shape (N,)
        Concept sides (:attr:`pipeline.szxai.data.ConceptSpace.seizure`).
    n_splits : int
        Folds of the grouped cross-validation (at most the number of patients).
    c : float
        Inverse L2 strength of the logistic regression.

    Returns
    -------
    ndarray, shape (N,)
        NaN for a concept that is present in every crop or in none.
    """
    pooled = pool_crops(crops)
    labels = crops.labels.astype(int)
    groups = np.asarray(crops.subjects)
    splitter = GroupKFold(n_splits=min(n_splits, len(set(crops.subjects))))
    scores = np.zeros(labels.shape)
    for train, test in splitter.split(pooled, labels, groups):
        scores[test] = probe_predict(pooled[train], labels[train], pooled[test], seizure, c)
    return per_concept_auroc(labels, scores)

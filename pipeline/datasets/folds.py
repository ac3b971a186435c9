"""Patient-grouped cross-validation folds of the ``cv`` cohort."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import polars as pl
from sklearn.model_selection import KFold


def assign_folds(subjects: Iterable[str], n_folds: int, seed: int) -> pl.DataFrame:
    """Assign each patient to one of ``n_folds`` folds.

    Splitting patients (not crops or recordings) keeps every recording of a
    patient in one fold, so no patient is seen in training and testing.

    Parameters
    ----------
    subjects : iterable of str
        Patient ids; duplicates are collapsed.
    n_folds : int
        Number of folds.
    seed : int
        Seed of the shuffle; the result depends only on the set of patients.

    Returns
    -------
    polars.DataFrame
        Columns ``subject`` (str) and ``fold`` (int, 0-based), sorted by subject.

    Raises
    ------
    ValueError
        If there are fewer patients than folds.
    """
    unique = np.array(sorted(set(subjects)))
    if len(unique) < n_folds:
        raise ValueError(f"cannot make {n_folds} patient-grouped folds from {len(unique)} patients")
    fold = np.empty(len(unique), dtype=np.int64)
    splitter = KFold(n_splits=n_folds, shuffle=True, random_state=seed)
    for k, (_, test_idx) in enumerate(splitter.split(unique)):
        fold[test_idx] = k
    return pl.DataFrame({"subject": unique.tolist(), "fold": fold})


def split_subjects(
    subjects: list[str], val_fraction: float, rng: np.random.Generator
) -> tuple[set[str], set[str]]:
    """Seeded split of subjects into training and validation sets.

    Parameters
    ----------
    subjects : list of str
    val_fraction : float
        Share of subjects for validation; at least one when positive and
        there are two subjects or more, never all of them.
    rng : numpy.random.Generator

    Returns
    -------
    train, val : set of str
    """
    unique = sorted(set(subjects))
    n_val = 0
    if val_fraction > 0 and len(unique) >= 2:
        n_val = min(max(1, round(val_fraction * len(unique))), len(unique) - 1)
    order = rng.permutation(len(unique))
    val = {unique[i] for i in order[:n_val]}
    return set(unique) - val, val

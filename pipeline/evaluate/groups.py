"""Etiology groups of crops, for the 4-group confusion figure (paper Fig 3a).

Each concept belongs to one display group of the concept bank (spiking,
rhythmic, interictal, background). A crop's *true* group is the group with the
largest share of its present concepts; its *predicted* group is the group with
the highest mean predicted probability. Ties go to the earlier group. Crops
with no present concept have no true group and are left out.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


def group_scores(values: np.ndarray, concept_groups: Sequence[str], groups: Sequence[str]):
    """Mean of ``values`` over each group's concepts.

    Parameters
    ----------
    values : ndarray, shape (n_crops, n_concepts)
    concept_groups : sequence of str, length n_concepts
    groups : sequence of str, length n_groups

    Returns
    -------
    ndarray, shape (n_crops, n_groups)
    """
    member = np.array([[g == name for g in concept_groups] for name in groups], dtype=float)
    # A group without concepts in this bank scores 0 instead of 0/0.
    return np.asarray(values, dtype=float) @ member.T / np.maximum(member.sum(axis=1), 1)


def group_assignments(
    labels: np.ndarray,
    probs: np.ndarray,
    concept_groups: Sequence[str],
    groups: Sequence[str],
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True and predicted group index of every labelled crop.

    Parameters
    ----------
    labels : ndarray, shape (n_crops, n_concepts)
        Binary true concepts.
    probs : ndarray, shape (n_crops, n_concepts)
        Predicted concept probabilities.
    concept_groups : sequence of str
        Group of each concept.
    groups : sequence of str
        The group order (indices refer to it).

    Returns
    -------
    labelled : ndarray of bool, shape (n_crops,)
        Crops with at least one present concept (the others have no true group).
    true_group, predicted_group : ndarray of int, shape (n_labelled,)
    """
    labelled = np.asarray(labels).sum(axis=1) > 0
    true_group = group_scores(labels, concept_groups, groups)[labelled].argmax(axis=1)
    predicted_group = group_scores(probs, concept_groups, groups)[labelled].argmax(axis=1)
    return labelled, true_group, predicted_group


def group_confusion(
    labels: np.ndarray,
    probs: np.ndarray,
    concept_groups: Sequence[str],
    groups: Sequence[str],
) -> np.ndarray:
    """Counts of (true group, predicted group) over crops.

    Parameters are those of :func:`group_assignments`.

    Returns
    -------
    ndarray of int, shape (n_groups, n_groups)
    """
    _, true_group, predicted_group = group_assignments(labels, probs, concept_groups, groups)
    return count_pairs(true_group, predicted_group, len(groups))


def count_pairs(true_group: np.ndarray, predicted_group: np.ndarray, n_groups: int) -> np.ndarray:
    """Confusion counts from group indices.

    Returns
    -------
    ndarray of int, shape (n_groups, n_groups)
        Rows: true group, columns: predicted group.
    """
    matrix = np.zeros((n_groups, n_groups), dtype=int)
    np.add.at(matrix, (true_group, predicted_group), 1)
    return matrix


def dominant_group(labels: np.ndarray, concept_groups: Sequence[str], groups: Sequence[str]):
    """The true group name of each crop (``"none"`` when no concept is present)."""
    scores = group_scores(labels, concept_groups, groups)
    names = np.asarray(groups, dtype=object)[scores.argmax(axis=1)]
    return np.where(np.asarray(labels).sum(axis=1) > 0, names, "none")

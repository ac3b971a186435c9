"""What the per-crop figures show: which method, fold, windows and crops (spec section 9).

The choices are made here, apart from the drawing, so that they are tested on
small frames and stated once (``reports/index.md`` repeats them).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl

from pipeline.evaluate.groups import dominant_group
from pipeline.evaluate.table import METHOD_ORDER
from pipeline.registry import CONCEPT_GROUPS, REFERENCES

#: Only SzXAI writes aligned window latents (t-SNE, heatmaps).
ALIGNED_METHOD = "szxai"


def figure_method(methods: Sequence[str]) -> str | None:
    """The method drawn in the per-crop figures: SzXAI, else the first one trained.

    Chance and the reference rows are never drawn: they are not methods.
    """
    ranked = [m for m in METHOD_ORDER if m in methods and m != "chance" and m not in REFERENCES]
    return ranked[0] if ranked else None


def best_fold(per_fold: pl.DataFrame, detector: str, method: str = ALIGNED_METHOD) -> int | None:
    """The fold where ``method`` has the highest mean of precision and specificity.

    Folds where either metric is undefined (NaN) rank last; ties go to the lower fold.
    """
    rows = per_fold.filter((pl.col("detector") == detector) & (pl.col("method") == method))
    if rows.is_empty():
        return None
    score = ((rows["precision"] + rows["specificity"]) / 2).fill_nan(None).fill_null(-1.0)
    order = np.lexsort((rows["fold"].to_numpy(), -score.to_numpy()))
    return int(rows["fold"][int(order[0])])


def window_groups(
    aligned: pl.DataFrame, crop_labels: dict[str, np.ndarray], concepts: pl.DataFrame
) -> np.ndarray:
    """Etiology group of each window, for colouring the t-SNE.

    L_KNBC pulls seizure windows towards the patient's seizure concepts and the
    other windows towards its non-seizure concepts, so a window's group is the
    dominant group of its crop's true concepts *on the window's side* (``"none"``
    when the crop has no true concept on that side).

    Returns
    -------
    ndarray of str, shape (n_windows,)
    """
    seizure_side = (concepts["side"] == "seizure").to_numpy()
    groups = concepts["group"].to_list()
    labels = np.stack([crop_labels[c] for c in aligned["crop_id"]]).astype(float)
    is_seizure = aligned["label"].to_numpy() == 1
    side = np.where(is_seizure[:, None], seizure_side[None, :], ~seizure_side[None, :])
    return dominant_group(labels * side, groups, CONCEPT_GROUPS).astype(str)


def sample_windows(aligned: pl.DataFrame, n: int, seed: int) -> pl.DataFrame:
    """At most ``n`` windows, seizure windows first up to half of them.

    Seizure windows are a few percent of all; drawn uniformly they would vanish
    from the t-SNE.
    """
    seizure = aligned.filter(pl.col("label") == 1)
    other = aligned.filter(pl.col("label") != 1)
    n_seizure = min(seizure.height, n // 2)
    n_other = min(other.height, n - n_seizure)
    return pl.concat([seizure.sample(n_seizure, seed=seed), other.sample(n_other, seed=seed)])


def crop_labels_of(predictions: pl.DataFrame, detector: str, method: str) -> dict[str, np.ndarray]:
    """True concept vector of every held-out crop (labels are the same for all methods)."""
    rows = predictions.filter((pl.col("detector") == detector) & (pl.col("method") == method))
    return {r["crop_id"]: np.asarray(r["labels"]) for r in rows.iter_rows(named=True)}


def heatmap_crops(aligned: pl.DataFrame, n: int) -> list[str]:
    """``n`` crops to draw: most seizure windows first, one per patient while possible.

    Seizure windows show the seizure/non-seizure switch of S_nt best; crops of
    one patient share their labels (and can overlap in time), so a second
    patient says more than a second crop of the first.
    """
    ranked = (
        aligned.group_by("crop_id", "subject")
        .agg((pl.col("label") == 1).sum().alias("n_seizure"))
        .sort(["n_seizure", "crop_id"], descending=[True, False])
    )
    first = ranked.unique("subject", keep="first", maintain_order=True)["crop_id"].to_list()
    rest = [c for c in ranked["crop_id"] if c not in first]
    return (first + rest)[:n]

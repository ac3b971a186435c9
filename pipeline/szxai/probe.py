"""Do a detector's latents carry concept information at all? A linear-probe diagnostic.

Each crop is summarised by its latents averaged over seizure-weighted and
non-seizure-weighted windows (p_sz and 1 - p_sz, the weights of SzXAI's
attention pooling); one L2-regularised logistic regression per concept is
scored by patient-grouped cross-validated AUROC. Around 0.5 means no concept
head trained on these latents can do better than chance.

Usage: ``python -m pipeline.szxai.probe [--detector deepsoz]`` (after ``dvc repro``).
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import polars as pl
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GroupKFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from pipeline.szxai.data import Crops


def pooled_features(crops: Crops) -> np.ndarray:
    """Seizure- and non-seizure-weighted mean latents, shape (n_crops, 2 d_h)."""
    real = crops.mask.astype(np.float32)
    features = []
    for weights in (crops.p_sz * real, (1 - crops.p_sz) * real):
        w = weights[..., None]
        features.append((crops.h * w).sum(axis=1) / (w.sum(axis=1) + 1e-6))
    return np.concatenate(features, axis=1)


def probe_auroc(crops: Crops, n_splits: int = 5, c: float = 0.1) -> np.ndarray:
    """Patient-grouped cross-validated AUROC of a linear probe, per concept.

    Parameters
    ----------
    crops : Crops
    n_splits : int
        Folds of the grouped cross-validation (at most the number of patients).
    c : float
        Inverse L2 strength of the logistic regression.

    Returns
    -------
    ndarray, shape (N,)
        NaN for a concept that is present in every crop or in none.
    """
    x = pooled_features(crops)
    groups = np.asarray(crops.subjects)
    splitter = GroupKFold(n_splits=min(n_splits, len(set(crops.subjects))))
    aurocs = np.full(crops.labels.shape[1], np.nan)
    for n, y in enumerate(crops.labels.T.astype(int)):
        if y.min() == y.max():
            continue
        scores = np.zeros(len(y))
        for train, test in splitter.split(x, y, groups):
            if y[train].min() == y[train].max():
                scores[test] = y[train].mean()
                continue
            model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000))
            scores[test] = model.fit(x[train], y[train]).predict_proba(x[test])[:, 1]
        aurocs[n] = roc_auc_score(y, scores)
    return aurocs


def main() -> None:
    from pipeline.config import load_params
    from pipeline.szxai.data import read_concepts, read_crops, read_labels

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--detector", default="deepsoz")
    args = parser.parse_args()
    params = load_params()
    folds = pl.read_csv(params.folds.path, schema_overrides={"subject": pl.String})
    crops = read_crops(
        params.detector.out_dir / args.detector / "latents.parquet",
        read_labels(params.labels.out_dir / "labels.parquet"),
        set(folds["subject"]),
    )
    names = read_concepts(params.concepts.bank_path).names
    aurocs = probe_auroc(crops)
    report = {
        name: None if np.isnan(a) else round(float(a), 3)
        for name, a in zip(names, aurocs, strict=True)
    }
    print(json.dumps(report, indent=1))
    print(f"{args.detector}: mean probe AUROC {np.nanmean(aurocs):.3f} over {len(crops)} crops "
          f"of {len(set(crops.subjects))} patients")  # fmt: skip


if __name__ == "__main__":
    main()

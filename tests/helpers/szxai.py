"""A tiny, learnable stand-in for one detector's cv cohort: latents, labels, bank, folds.

Concept n present for a patient adds ``strength`` along direction n to that
patient's latents: in seizure windows for seizure concepts, elsewhere for
non-seizure ones. So a head that works must learn it, and one that is broken
cannot, which is what the tests need. The reference rows' inputs follow suit:
``h_pre`` (PRE_DIM unless told) and the EEG features ``f`` (FEATURE_DIM, in
``features/windows-cv.parquet``) carry the same directions, ``h_random`` is
pure noise. A randomly initialised DeepSOZ's weights sit beside the latents,
for ``szxai-ft`` (which trains the detector's BiLSTM on ``h_pre``: it needs
``pre_dim=DeepSOZ.pre_dim``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import torch

from pipeline.config import Params
from pipeline.detectors import DeepSOZ

N_CONCEPTS = 4  # concepts 0, 1 seizure; 2, 3 non-seizure
SEIZURE_SIDE = np.array([True, True, False, False])
PRE_DIM, FEATURE_DIM = 5, 7


def make_cohort(
    root: Path,
    n_subjects: int = 12,
    n_windows: int = 30,
    latent_dim: int = 8,
    embed_dim: int = 6,
    strength: float = 3.0,
    seed: int = 0,
    pre_dim: int = PRE_DIM,
) -> dict[str, Path]:
    """Write latents.parquet, features, labels.parquet, bank.parquet and folds.csv under ``root``.

    Every subject has one crop; the last two windows of every crop are padding.
    Returns the five paths by name.
    """
    rng = np.random.default_rng(seed)
    subjects = [f"s{i:02d}" for i in range(n_subjects)]
    labels = (rng.random((n_subjects, N_CONCEPTS)) < 0.5).astype(np.int8)
    labels[np.arange(n_subjects), rng.integers(0, N_CONCEPTS, n_subjects)] = 1
    rows = []
    for s, subject in enumerate(subjects):
        seizure = np.zeros(n_windows, bool)
        seizure[5:15] = True
        is_pad = np.zeros(n_windows, bool)
        is_pad[-2:] = True
        vectors = {}
        for name, dim in (("h", latent_dim), ("h_pre", pre_dim), ("f", FEATURE_DIM),
                          ("h_random", latent_dim)):  # fmt: skip
            v = rng.normal(size=(n_windows, dim)).astype(np.float32)
            if name != "h_random":
                for n in np.flatnonzero(labels[s]):
                    v[seizure if SEIZURE_SIDE[n] else ~seizure, n] += strength
            v[is_pad] = 0.0
            vectors[name] = v
        p_sz = np.where(seizure, 0.9, 0.05).astype(np.float32)
        for t in range(n_windows):
            rows.append({"crop_id": f"{subject}_c00", "recording_id": f"{subject}_r",
                         "subject": subject, "window_index": t,
                         "label": int(seizure[t] and not is_pad[t]), "is_pad": bool(is_pad[t]),
                         "p_sz": float(p_sz[t]),
                         **{name: v[t].tolist() for name, v in vectors.items()}})  # fmt: skip
    paths = {name: root / file for name, file in (
        ("latents", "latents/deepsoz/latents.parquet"), ("labels", "labels/labels.parquet"),
        ("bank", "bank.parquet"), ("folds", "folds.csv"),
        ("features", "features/windows-cv.parquet"))}  # fmt: skip
    for path in paths.values():
        path.parent.mkdir(parents=True, exist_ok=True)
    frame = pl.DataFrame(rows).with_columns(
        pl.col("window_index").cast(pl.Int16), pl.col("label").cast(pl.Int8),
        pl.col("p_sz").cast(pl.Float32), pl.col("h").cast(pl.Array(pl.Float32, latent_dim)),
        pl.col("h_pre").cast(pl.Array(pl.Float32, pre_dim)),
        pl.col("h_random").cast(pl.Array(pl.Float32, latent_dim)),
        pl.col("f").cast(pl.Array(pl.Float32, FEATURE_DIM)),
    )  # fmt: skip
    frame.drop("f").write_parquet(paths["latents"])
    torch.manual_seed(seed)
    torch.save(DeepSOZ().state_dict(), paths["latents"].parent / "weights.pt")
    frame.select("crop_id", "window_index", "is_pad", "f").write_parquet(paths["features"])
    pl.DataFrame({"subject": subjects, "labels": labels.tolist(), "n_notes": [1] * n_subjects}
                 ).with_columns(pl.col("labels").cast(pl.Array(pl.Int8, N_CONCEPTS))
                 ).write_parquet(paths["labels"])  # fmt: skip
    embeddings = rng.normal(size=(N_CONCEPTS, embed_dim)).astype(np.float32)
    pl.DataFrame({
        "index": list(range(N_CONCEPTS)),
        "name": ["spike and wave", "rhythmic", "slowing", "PLED"],
        "side": ["seizure" if s else "non-seizure" for s in SEIZURE_SIDE],
        "group": ["spiking", "rhythmic", "background", "interictal"],
        "embedding": embeddings.tolist(),
    }).with_columns(pl.col("embedding").cast(pl.Array(pl.Float32, embed_dim))
    ).write_parquet(paths["bank"])  # fmt: skip
    pl.DataFrame({"subject": subjects, "fold": [i % 3 for i in range(n_subjects)]}).write_csv(
        paths["folds"]
    )
    return paths


def cohort_params(root: Path, **top_level) -> Params:
    """Params that point every train input at :func:`make_cohort`'s files under ``root``."""
    raw = {
        "seed": 7, "device": "cpu", "lambda1": 1.0, "lambda2": 0.001, "lr": 0.01,
        "epochs": 40, "patience": 40, "batch_crops": 4,
        "folds": {"ids": [0, 1, 2], "path": str(root / "folds.csv")},
        "detector": {"out_dir": str(root / "latents")},
        "features": {"out_dir": str(root / "features")},
        "labels": {"out_dir": str(root / "labels")},
        "concepts": {"bank_path": str(root / "bank.parquet"), "n_concepts": N_CONCEPTS},
        "train": {"hidden": 16, "val_fraction": 0.2, "train_windows": None,
                  "out_dir": str(root / "train")},
        **top_level,
    }  # fmt: skip
    return Params.model_validate(raw)

"""The held-out test block: the final heads' test predictions, scored with intervals."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from pipeline.config import TrainParams
from pipeline.evaluate.heldout import heldout_summary, read_heldout
from pipeline.evaluate.table import heldout_markdown, to_metrics_json
from pipeline.metrics import macro_auroc
from pipeline.szxai.data import PREDICTIONS_FILE, predictions_schema

N_CONCEPTS = 4
CONTROL = np.array([False, False, False, True])


def _predictions(rng, subjects, signal: float, method: str = "szxai") -> list[dict]:
    rows = []
    for s in subjects:
        labels = rng.integers(0, 2, N_CONCEPTS)
        for k in range(2):  # two crops per patient
            probs = np.clip(0.5 + signal * (labels - 0.5) + rng.normal(0, 0.2, N_CONCEPTS), 0, 1)
            rows.append({"method": method, "crop_id": f"{s}_{k}", "subject": s,
                         "probs": probs.astype(np.float32).tolist(),
                         "labels": labels.astype(np.int8).tolist()})  # fmt: skip
    return rows


@pytest.fixture
def train_dir(tmp_path):
    rng = np.random.default_rng(3)
    train = TrainParams(out_dir=tmp_path)
    for detector, signal in (("deepsoz", 0.6), ("cnnblstm", 0.0)):
        out = train.heldout_dir(detector)
        out.mkdir(parents=True)
        rows = _predictions(rng, [f"t{i:02d}" for i in range(12)], signal)
        pl.DataFrame(rows, schema=predictions_schema(N_CONCEPTS)).write_parquet(
            out / PREDICTIONS_FILE
        )
    return train


def _cv(rng) -> pl.DataFrame:
    frame = pl.DataFrame(
        _predictions(rng, [f"c{i:02d}" for i in range(10)], 0.3),
        schema=predictions_schema(N_CONCEPTS),
    )
    return pl.concat([
        frame.with_columns(detector=pl.lit(d), fold=pl.lit(0, pl.Int64))
        for d in ("deepsoz", "cnnblstm")
    ]).select("detector", "fold", "method", "crop_id", "subject", "probs", "labels")  # fmt: skip


def test_heldout_rows_intervals_and_chance(train_dir):
    heldout = read_heldout(train_dir, ["deepsoz", "cnnblstm"])
    assert heldout.height == 48 and set(heldout["detector"]) == {"deepsoz", "cnnblstm"}
    summary = heldout_summary(heldout, _cv(np.random.default_rng(4)), CONTROL, 0.5, 0, 200)
    assert summary.select("detector", "method").rows() == [
        ("deepsoz", "szxai"), ("cnnblstm", "szxai"), ("deepsoz", "chance"), ("cnnblstm", "chance"),
    ]  # fmt: skip
    rows = {(r["detector"], r["method"]): r for r in summary.iter_rows(named=True)}
    good, noise = rows["deepsoz", "szxai"], rows["cnnblstm", "szxai"]
    assert good["n_patients"] == 12 and good["n_crops"] == 24
    # The pooled AUROC is the macro AUROC of the non-control concepts, inside its interval.
    group = heldout.filter(pl.col("detector") == "deepsoz")
    y, p = np.stack(group["labels"].to_list()), np.stack(group["probs"].to_list())
    assert good["auroc_pooled"] == pytest.approx(macro_auroc(y[:, ~CONTROL], p[:, ~CONTROL]))
    assert good["auroc_hfo"] == pytest.approx(macro_auroc(y[:, CONTROL], p[:, CONTROL]))
    assert good["auroc_low"] <= good["auroc_pooled"] <= good["auroc_high"]
    assert good["auroc_low"] > noise["auroc_high"]  # a real signal beats none, beyond noise
    assert rows["deepsoz", "chance"]["auroc_low"] is None
    assert 0.4 < rows["deepsoz", "chance"]["auroc_pooled"] < 0.6

    table = heldout_markdown(summary)
    assert table.count("\n") == 2 + summary.height
    assert (
        f"{good['auroc_pooled']:.3f} [{good['auroc_low']:.3f}, {good['auroc_high']:.3f}]" in table
    )
    metrics = to_metrics_json(summary)
    assert set(metrics) == {"deepsoz", "cnnblstm"} and set(metrics["deepsoz"]) == {"szxai"}
    assert metrics["deepsoz"]["szxai"]["auroc_low"] == round(good["auroc_low"], 4)


def test_no_test_cohort_reads_empty(tmp_path):
    train = TrainParams(out_dir=tmp_path)
    for detector in ("deepsoz", "cnnblstm"):
        train.heldout_dir(detector).mkdir(parents=True)
        pl.DataFrame(schema=predictions_schema(N_CONCEPTS)).write_parquet(
            train.heldout_dir(detector) / PREDICTIONS_FILE
        )
    assert read_heldout(train, ["deepsoz", "cnnblstm"]).height == 0

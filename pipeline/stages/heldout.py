"""One ``heldout@<detector>`` run: the final SzXAI head scored on the held-out test cohort.

The test cohort (``data.cohorts`` mapping a split to ``test``; TUSZ's ``eval``)
never trains a detector or a head and selects nothing: the final head
(``final@<detector>``, trained on every labelled cv patient with the folds'
method and hyper-parameters) predicts each labelled test patient's crops once.
``evaluate`` scores these predictions in their own Table 1 block.

Outputs in ``<train.out_dir>/<detector>/heldout`` (one atomic folder):
``predictions.parquet`` (the columns of a fold's, method ``szxai``; no rows
without a test cohort) and ``heldout.json`` (patients, crops, the head used).
"""

from __future__ import annotations

import json

import polars as pl
import pyarrow.parquet as pq

from pipeline.config import Params
from pipeline.device import resolve_device
from pipeline.io.atomic import atomic_path
from pipeline.stages.train import prediction_rows
from pipeline.szxai.data import (
    PREDICTIONS_FILE,
    predictions_schema,
    read_concepts,
    read_crops,
    read_labels,
)
from pipeline.szxai.final import HEAD_FILE, final_dir, load_head
from pipeline.szxai.training import predict

#: The record written beside the predictions.
RECORD_FILE = "heldout.json"


def heldout_subjects(params: Params) -> list[str]:
    """The patients of the test cohort, sorted."""
    manifest = pl.read_parquet(params.ingest.manifest_path, columns=["subject", "cohort"])
    return sorted(manifest.filter(pl.col("cohort") == "test")["subject"].unique())


def run(params: Params, detector: str) -> dict:
    """Predict the test cohort's crops with the final head of ``detector``; return the record."""
    device = resolve_device(params.device)
    head = load_head(final_dir(params.train, detector) / HEAD_FILE, params.train, device)
    bank = read_concepts(params.concepts.bank_path)
    if head.concepts.names != bank.names:
        raise ValueError(
            f"{final_dir(params.train, detector)}: the final head's concepts differ from "
            f"{params.concepts.bank_path}; rerun final@{detector}"
        )
    labels = read_labels(params.labels.table_path("labels"))
    subjects = heldout_subjects(params)
    labelled = {s for s in subjects if s in labels}
    latents = params.detector.latents_path(detector, "test")
    rows, n_crops = [], 0
    if labelled and pq.ParquetFile(latents).metadata.num_rows:
        crops = read_crops(latents, labels, labelled, head.record["latent_layer"])
        probs = predict(head.stack, crops.to_tensors(device))["probs"][0]
        rows, n_crops = prediction_rows(head.record["method"], crops, probs), len(crops)
    record = {
        "detector": detector, "method": head.record["method"],
        "latent_layer": head.record["latent_layer"], "device": str(device),
        "n_test_patients": len(subjects), "n_labelled_patients": len(labelled),
        "n_crops": n_crops, "head_trained_on": head.record["n_subjects"],
    }  # fmt: skip
    with atomic_path(params.train.heldout_dir(detector)) as tmp:
        tmp.mkdir(parents=True)
        frame = pl.DataFrame(rows, schema=predictions_schema(len(bank.names)))
        frame.write_parquet(tmp / PREDICTIONS_FILE)
        (tmp / RECORD_FILE).write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return record

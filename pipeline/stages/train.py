"""One ``train@<detector>-<fold>`` run: every method on one fold, held-out outputs written.

Outputs in ``<train.out_dir>/<detector>/fold<k>/`` (written atomically as a folder):

- ``predictions.parquet``: method, crop_id, subject, probs (N floats, concept
  order of the bank), labels (N ints); one row per method and held-out crop,
  the methods of ``train.methods`` first, then the reference rows of
  ``train.references`` (:mod:`pipeline.szxai.references`, spec section 11),
  fitted on the same training crops with the same labels.
- ``latents_aligned.parquet`` (SzXAI only): crop_id, subject, window_index,
  label, is_pad, p_sz, h_tilde (d_e floats) and similarity (S_nt, N floats);
  one row per window of each held-out crop, for the t-SNE and heatmaps.
- ``metrics.json``: split sizes, device, the latent layer, and per method
  the training record (its lambda1 and lambda2, epochs, best epoch and
  validation loss, loss history: the training curves of ``evaluate``) and
  the held-out macro metrics at p >= 0.5; per reference row its input size
  and the same held-out metrics.

Every method (and, with ``train.tune``, every setting of each) is one slot of
a :class:`~pipeline.szxai.methods.MethodStack`, trained together in one
:func:`~pipeline.szxai.training.fit`; ``szxai-ft``, whose head trains with its
own copy of the detector's BiLSTM, is fitted after them on its own
(:func:`fit_finetuned`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, replace
from functools import partial
from pathlib import Path
from typing import NamedTuple, TypeVar

import numpy as np
import polars as pl
import torch

from pipeline.config import Params
from pipeline.datasets.folds import split_subjects
from pipeline.detectors.training import freeze, load_checkpoint
from pipeline.device import resolve_device
from pipeline.io.atomic import atomic_path
from pipeline.metrics import macro_metrics
from pipeline.szxai.data import (
    PREDICTIONS_FILE,
    ConceptSpace,
    Crops,
    predictions_schema,
    read_concepts,
    read_crops,
    read_labels,
)
from pipeline.szxai.finetune import BiLSTMEncoder, anchored_subcrops, detector_bilstm
from pipeline.szxai.losses import concept_weights
from pipeline.szxai.methods import METHOD_SPECS, MethodStack, Slot, slot_seed
from pipeline.szxai.references import read_pooled, reference_predictions
from pipeline.szxai.training import FitResult, Hyper, eval_chunks, fit, predict

T = TypeVar("T")

#: Threshold of the per-fold summary in metrics.json (the report's own is evaluate.threshold).
SUMMARY_THRESHOLD = 0.5


def hyper_from(params: Params) -> Hyper:
    """The optimisation settings of ``params`` (top-level keys and the train section)."""
    return Hyper(
        lambda1=params.lambda1,
        lambda2=params.lambda2,
        lr=params.lr,
        epochs=params.epochs,
        patience=params.patience,
        batch_crops=params.batch_crops,
        tau=params.train.tau,
        train_windows=params.train.train_windows,
        l2_all_layers=params.train.l2_all_layers,
        knbc_bounded=params.train.knbc_bounded,
        refit_score_norm=params.train.refit_score_norm,
    )


def fold_seed(seed: int, fold: int) -> int:
    """Seed of a fold's crop order and window draws (shared by all its slots)."""
    return int(np.random.SeedSequence([seed, fold]).generate_state(1)[0])


def fold_slots(params: Params, fold: int) -> list[Slot]:
    """The heads a fold trains: one per method, or one per method and setting of ``train.tune``.

    Without ``train.tune`` every method gets the top-level ``lambda1`` and
    ``lambda2``. With it, each method gets one slot per combination of the
    grid values that apply to it (lambda1 only with alignment), and
    :func:`choose_slots` keeps the one with the best inner-validation loss;
    ``szxai-ft`` always gets the top-level values (it trains without validation).
    """
    tune = params.train.tune
    slots = []
    for name in params.train.methods:
        method = METHOD_SPECS[name]
        if tune is None or method.finetune:
            settings = [(params.lambda1, params.lambda2)]
        else:
            lambda1s = tune.lambda1 if method.alignment else (params.lambda1,)
            settings = list(itertools.product(lambda1s, tune.lambda2))
        for k, (lambda1, lambda2) in enumerate(settings):
            slots.append(
                Slot(method, lambda1, lambda2, slot_seed(params.train.seed, fold, name, k))
            )
    return slots


def choose_slots(slots: list[Slot], results: list[FitResult]) -> dict[str, int]:
    """Per method, the slot with the lowest best inner-validation loss (first on ties)."""
    chosen: dict[str, int] = {}
    for index, (slot, result) in enumerate(zip(slots, results, strict=True)):
        name = slot.method.name
        if name not in chosen or result.best_val_loss < results[chosen[name]].best_val_loss:
            chosen[name] = index
    return chosen


class CvData(NamedTuple):
    """What every head of a detector trains on: concepts, labels, folds, labelled cv crops."""

    concepts: ConceptSpace
    labels: dict[str, np.ndarray]
    folds: pl.DataFrame
    crops: Crops


def read_cv_data(params: Params, detector: str) -> CvData:
    """The bank, the patients' labels, the folds and the labelled cv crops of ``detector``."""
    labels = read_labels(params.labels.table_path("labels"))
    folds = pl.read_csv(params.folds.path, schema_overrides={"subject": pl.String})
    layer = params.detector.section(detector).latent_layer
    crops = read_crops(params.detector.latents_path(detector), labels, set(folds["subject"]), layer)
    return CvData(read_concepts(params.concepts.bank_path), labels, folds, crops)


def new_stack(
    params: Params,
    slots: list[Slot],
    concepts: ConceptSpace,
    training: list[Crops],
    device: torch.device,
) -> MethodStack:
    """An untrained stack of ``slots`` on ``device``, its latent scaling fitted on ``training``
    when ``train.standardize_latents`` is set."""
    stack = MethodStack(slots, training[0].h.shape[-1], concepts, params.train)
    if params.train.standardize_latents:
        stack.fit_latent_scaling(training)
    return stack.to(device)


def split_fold(
    crops: Crops, folds: pl.DataFrame, fold: int, val_fraction: float, seed: int
) -> tuple[Crops, Crops, Crops]:
    """Training, inner-validation and held-out crops of ``fold``, grouped by patient."""
    held_out = set(folds.filter(pl.col("fold") == fold)["subject"])
    rest = sorted(set(crops.subjects) - held_out)
    train, val = split_subjects(rest, val_fraction, np.random.default_rng([seed, fold]))
    return crops.of_subjects(train), crops.of_subjects(val), crops.of_subjects(held_out)


def run(params: Params, detector: str, fold: int) -> dict:
    """Train every method of ``params.train.methods`` on one fold, fit the reference rows.

    Parameters
    ----------
    detector : str
        ``deepsoz`` or ``cnnblstm``: whose latents are used.
    fold : int
        One of ``params.folds.ids``: the held-out fold.
    params : Params

    Returns
    -------
    dict
        The content of ``metrics.json``.
    """
    if fold not in params.folds.ids:
        raise ValueError(f"fold {fold} is not one of folds.ids {list(params.folds.ids)}")
    device = resolve_device(params.device)
    concepts, labels, folds, crops = read_cv_data(params, detector)
    latents_path = params.detector.latents_path(detector)
    layer = params.detector.section(detector).latent_layer
    train, val, test = split_fold(crops, folds, fold, params.train.val_fraction, params.train.seed)
    if len(train) == 0 or len(test) == 0:
        raise ValueError(
            f"fold {fold}: {len(train)} training and {len(test)} held-out labelled crops; "
            "need at least one of each"
        )
    weights = torch.from_numpy(concept_weights(np.concatenate([train.labels, val.labels])))
    tensors = {name: part.to_tensors(device) for name, part in
               (("train", train), ("val", val), ("test", test))}  # fmt: skip
    hyper = hyper_from(params)
    record = {
        "detector": detector, "fold": fold, "device": str(device),
        "latent_layer": layer, "n_train_crops": len(train), "n_val_crops": len(val),
        "n_test_crops": len(test),
        "n_unlabelled_cv_subjects": len(set(folds["subject"]) - set(labels)),
        "hyper": asdict(hyper), "concept_weights": [round(float(w), 6) for w in weights],
        "methods": {},
    }  # fmt: skip
    every = fold_slots(params, fold)
    slots = [slot for slot in every if not slot.method.finetune]
    torch.manual_seed(params.train.seed)  # nothing should draw from it; belt and braces

    def fit_stacked() -> tuple[list[dict], dict, pl.DataFrame | None]:
        stack = new_stack(params, slots, concepts, [train, val], device)
        fitted = fit(stack, tensors["train"], tensors["val"], weights.to(device), hyper,
                     fold_seed(params.train.seed, fold),
                     desc=f"train {detector} fold {fold}: {len(slots)} heads")  # fmt: skip
        chosen = choose_slots(slots, fitted.results)
        outputs = predict(fitted.stack, tensors["test"], windows_of=chosen.get("szxai"))
        rows, methods = [], {}
        for name, index in chosen.items():
            rows += prediction_rows(name, test, outputs["probs"][index])
            methods[name] = _method_record(
                slots[index], fitted.results[index], test.labels, outputs["probs"][index]
            )
        return rows, methods, aligned_latents(test, outputs) if "szxai" in chosen else None

    def fit_finetune(slot: Slot) -> tuple[list[dict], dict, None]:
        pre = (train, test) if layer == "h_pre" else _split_pre(params, detector, folds, fold)
        probs, result = fit_finetuned(params, detector, fold, slot, concepts, pre, weights, device)
        entry = {**_method_record(slot, result, test.labels, probs),
                 "finetune": params.train.finetune.model_dump()}  # fmt: skip
        return prediction_rows(slot.method.name, test, probs), {slot.method.name: entry}, None

    fits = ([fit_stacked] if slots else []) + [
        partial(fit_finetune, slot) for slot in every if slot.method.finetune
    ]
    rows, aligned = [], None
    for fit_rows, methods, fit_aligned in side_by_side(fits, device):
        rows += fit_rows
        record["methods"].update(methods)
        aligned = aligned if fit_aligned is None else fit_aligned
    if params.train.references:
        reference_rows, record["references"] = fit_references(
            latents_path, params, crops, [train, val], test, concepts
        )
        rows += reference_rows
    write_fold(params.train.fold_dir(detector, fold), rows, aligned, record, concepts)
    return record


def side_by_side(fits: list[Callable[[], T]], device: torch.device) -> list[T]:
    """Run independent fits at once, in threads; their results in the order given.

    Torch releases the GIL inside its kernels, and a fold's fits (the stacked
    heads, ``szxai-ft``) are small enough that one fit cannot keep two cores
    busy: on a 2-core CPU two fits side by side, one intra-op thread each, take
    about the time of the longer one. Each fit draws only from its own
    generators, and the held-out predictions are bitwise those of fitting one
    after the other with torch's default threads (tested); only the L2 term
    logged in the training history may differ in its last digits (a sum taken
    in another order). On a GPU the fits share the device the same way.
    """
    if len(fits) < 2:
        return [f() for f in fits]
    threads = torch.get_num_threads()
    if device.type == "cpu":
        torch.set_num_threads(max(1, threads // len(fits)))
    try:
        with ThreadPoolExecutor(max_workers=len(fits)) as pool:
            return list(pool.map(lambda f: f(), fits))
    finally:
        torch.set_num_threads(threads)


def _split_pre(
    params: Params, detector: str, folds: pl.DataFrame, fold: int
) -> tuple[Crops, Crops]:
    """The fold's training and held-out crops with ``h_pre`` as their latents."""
    labels = read_labels(params.labels.table_path("labels"))
    path = params.detector.latents_path(detector)
    crops = read_crops(path, labels, set(folds["subject"]), "h_pre")
    train, _, test = split_fold(crops, folds, fold, params.train.val_fraction, params.train.seed)
    return train, test


def fit_finetuned(
    params: Params,
    detector: str,
    fold: int,
    slot: Slot,
    concepts: ConceptSpace,
    crops: tuple[Crops, Crops],
    weights: torch.Tensor,
    device: torch.device,
) -> tuple[np.ndarray, FitResult]:
    """``szxai-ft`` on one fold: its held-out probabilities (n_test, N) and training record.

    Parameters
    ----------
    crops : (Crops, Crops)
        The fold's training and held-out crops with ``h_pre`` as latents (the
        inner-validation patients, if any, are left out: no early stopping).
    weights : Tensor, shape (N,)
        The training fold's concept weights (as for the other methods).
    """
    train, test = crops
    model = freeze(load_checkpoint(detector, params.detector.weights_path(detector), device))
    encoder = BiLSTMEncoder(detector_bilstm(model)).to(device)
    train_tensors = train.to_tensors(device)
    # The untrained copy gives the detector's own h_t: the latent scaling of szxai.
    initial = torch.cat([chunk.h for chunk in eval_chunks(train_tensors, encoder)])
    stack = new_stack(params, [slot], concepts, [replace(train, h=initial.cpu().numpy())], device)
    hyper, settings = hyper_from(params), params.train.finetune
    fitted = fit(
        stack, train_tensors, None, weights.to(device), hyper, fold_seed(params.train.seed, fold),
        desc=f"train {detector} fold {fold}: szxai-ft", encoder=encoder,
        encoder_lr=hyper.lr * settings.lr_scale,
        draw=lambda crops, generator: anchored_subcrops(crops, settings.windows, generator),
    )  # fmt: skip
    probs = predict(fitted.stack, test.to_tensors(device), encoder=encoder)["probs"][0]
    return probs, fitted.results[0]


def fit_references(
    latents_path: Path,
    params: Params,
    crops: Crops,
    training: list[Crops],
    test: Crops,
    concepts: ConceptSpace,
) -> tuple[list[dict], dict]:
    """The reference rows of one fold: prediction rows and their metrics.json record.

    Parameters
    ----------
    latents_path : Path
        This detector's latents (p_sz pools every reference row).
    params : Params
        ``train.references``, ``train.reference_c`` and the features file.
    crops : Crops
        Every labelled cv crop (the pooled inputs are read for these).
    training : list of Crops
        The training-fold crops (training and inner-validation split: the
        probes need no early stopping, so they use both).
    test : Crops
        The held-out crops.
    concepts : ConceptSpace
        Concept sides (which pooling each concept's probe reads).
    """
    position = {crop_id: i for i, crop_id in enumerate(crops.crop_ids)}
    train_rows = np.array([position[c] for part in training for c in part.crop_ids], int)
    test_rows = np.array([position[c] for c in test.crop_ids], int)
    references = params.train.references
    pooled = read_pooled(references, crops.crop_ids, latents_path, params.features.cv_path)
    probs = reference_predictions(
        pooled, train_rows, test_rows, crops.labels, concepts.seizure, params.train.reference_c
    )
    rows, record = [], {}
    for name in references:
        rows += prediction_rows(name, test, probs[name])
        record[name] = {"n_inputs": int(pooled[name].shape[-1]), "c": params.train.reference_c,
                        "heldout_at_0.5": _heldout(test.labels, probs[name])}  # fmt: skip
    return rows, record


def prediction_rows(method: str, crops: Crops, probs: np.ndarray) -> list[dict]:
    """Rows of ``predictions.parquet`` (:func:`predictions_schema`), one per crop."""
    return [
        {"method": method, "crop_id": c, "subject": s,
         "probs": p.astype(np.float32).tolist(), "labels": y.astype(np.int8).tolist()}
        for c, s, p, y in zip(crops.crop_ids, crops.subjects, probs, crops.labels, strict=True)
    ]  # fmt: skip


def _heldout(labels: np.ndarray, probs: np.ndarray) -> dict:
    scores = macro_metrics(labels, probs >= SUMMARY_THRESHOLD)
    return {k: None if np.isnan(v) else round(v, 4) for k, v in scores.items()}


def _method_record(slot: Slot, result: FitResult, labels: np.ndarray, probs: np.ndarray) -> dict:
    return {
        "lambda1": slot.knbc_weight,
        "lambda2": slot.lambda2,
        "epochs_run": result.epochs_run,
        "best_epoch": result.best_epoch,
        "best_val_cp": round(result.best_val_loss, 6),
        "heldout_at_0.5": _heldout(labels, probs),
        "history": [{k: round(v, 6) for k, v in h.items()} for h in result.history],
    }


def aligned_latents(crops: Crops, outputs: dict) -> pl.DataFrame:
    """One row per window of the held-out crops: h~_t and S_nt of the SzXAI head."""
    n, n_time = crops.mask.shape
    keep = crops.window_index.reshape(-1) >= 0  # drop the padding added when batching crops
    flat = {
        "crop_id": np.repeat(crops.crop_ids, n_time),
        "subject": np.repeat(crops.subjects, n_time),
        "window_index": crops.window_index.reshape(-1),
        "label": crops.seizure.reshape(-1).astype(np.int8),
        "is_pad": ~crops.mask.reshape(-1),
        "p_sz": crops.p_sz.reshape(-1),
    }
    frame = pl.DataFrame({k: v[keep] for k, v in flat.items()})
    d_e, n_concepts = outputs["encodings"].shape[-1], outputs["similarity"].shape[-1]
    return frame.with_columns(
        pl.Series("h_tilde", outputs["encodings"].reshape(-1, d_e)[keep],
                  dtype=pl.Array(pl.Float32, d_e)),
        pl.Series("similarity", outputs["similarity"].reshape(-1, n_concepts)[keep],
                  dtype=pl.Array(pl.Float32, n_concepts)),
    )  # fmt: skip


def write_fold(
    out_dir: Path,
    rows: list[dict],
    aligned: pl.DataFrame | None,
    record: dict,
    concepts: ConceptSpace,
) -> None:
    """Write the fold's three outputs into ``out_dir`` as one atomic folder."""
    record = {**record, "concepts": concepts.names}
    with atomic_path(out_dir) as tmp:
        tmp.mkdir(parents=True)
        schema = predictions_schema(concepts.n_concepts)
        pl.DataFrame(rows, schema=schema).write_parquet(tmp / PREDICTIONS_FILE)
        if aligned is not None:
            aligned.write_parquet(tmp / "latents_aligned.parquet")
        (tmp / "metrics.json").write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")

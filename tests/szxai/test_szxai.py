"""SzXAI head, losses, methods and per-fold training (spec section 8)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import polars as pl
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pipeline.config import Params
from pipeline.detectors import DeepSOZ
from pipeline.detectors.training import freeze
from pipeline.metrics import macro_metrics
from pipeline.registry import METHODS, REFERENCES
from pipeline.stages.train import choose_slots, fold_slots, hyper_from, run, split_fold
from pipeline.szxai.data import (
    Crops,
    CropTensors,
    latent_moments,
    read_concepts,
    read_crops,
    read_labels,
)
from pipeline.szxai.losses import concept_weights, knbc_loss, l2_penalty, prediction_loss
from pipeline.szxai.methods import METHOD_SPECS, MethodStack, Slot
from pipeline.szxai.models import StackedBatchNorm, pool_similarity
from pipeline.szxai.training import (
    FitResult,
    Hyper,
    LossTerms,
    crop_batches,
    fit,
    predict,
    sample_windows,
    sample_windows_by_p_sz,
    validation_losses,
)
from tests.helpers.szxai import N_CONCEPTS, SEIZURE_SIDE, cohort_params, make_cohort

TAU = 0.07


def stack_of(names, concepts, params, latent_dim=8, seeds=None):
    """A stack of one slot per method name, at the default loss weights."""
    seeds = seeds or list(range(len(names)))
    slots = [Slot(METHOD_SPECS[n], params.lambda1, params.lambda2, s)
             for n, s in zip(names, seeds, strict=True)]  # fmt: skip
    return MethodStack(slots, latent_dim, concepts, params.train)


def hyper(**changes) -> Hyper:
    """The default optimisation settings (from :class:`Params`) with ``changes``, all windows."""
    return dataclasses.replace(hyper_from(Params()), **{"train_windows": None, **changes})


def _knbc_by_hand(S, seizure_windows, labels, seizure_side, tau, bounded=False):
    """Eq. 4 for one crop, written as the paper's double sums with scalars."""
    total = 0.0
    for side in (True, False):
        windows = [t for t in range(len(S)) if seizure_windows[t] == side]
        present = [n for n in range(len(labels)) if labels[n] and seizure_side[n] == side]
        opposite = [k for k in range(len(labels)) if seizure_side[k] != side]
        if not windows or not present:
            continue
        acc = 0.0
        for t in windows:
            denominator = sum(math.exp(S[t][k] / tau) for k in opposite)
            for n in present:
                own = math.exp(S[t][n] / tau)
                acc += -math.log(own / (denominator + own * bounded))
        total += acc / (len(windows) * len(present))
    return total


def test_knbc_matches_a_hand_computed_two_window_four_concept_example():
    # Window 0 is a seizure window, window 1 is not; concepts 0, 1 seizure, 2, 3 not.
    S = [[0.9, 0.1, -0.2, 0.3], [0.0, -0.5, 0.7, 0.2]]
    labels = [1, 0, 1, 0]
    side = [True, True, False, False]
    # Seizure term: -0.9/tau + log(e^{-0.2/tau} + e^{0.3/tau});
    # non-seizure term: -0.7/tau + log(e^{0/tau} + e^{-0.5/tau}).
    expected = (-0.9 / TAU + math.log(math.exp(-0.2 / TAU) + math.exp(0.3 / TAU))) + (
        -0.7 / TAU + math.log(1.0 + math.exp(-0.5 / TAU))
    )
    assert _knbc_by_hand(S, [True, False], labels, side, TAU) == pytest.approx(expected)
    loss = knbc_loss(
        torch.tensor([S], dtype=torch.float64), torch.tensor([[True, False]]),
        torch.tensor([[True, True]]), torch.tensor([labels], dtype=torch.float64),
        torch.tensor(side), TAU,
    )  # fmt: skip
    assert loss.item() == pytest.approx(expected, rel=1e-9)


def test_bounded_knbc_adds_the_positive_to_the_denominator_and_never_goes_below_zero():
    rng = np.random.default_rng(1)
    S = rng.uniform(-1, 1, size=(2, 6, 4))
    seizure = np.array([[1, 1, 0, 0, 0, 0], [0, 0, 1, 1, 1, 0]], bool)
    mask = np.ones((2, 6), bool)
    labels = np.array([[1, 0, 1, 1], [0, 1, 1, 0]])
    side = [True, True, False, False]
    args = (torch.tensor(seizure), torch.tensor(mask), torch.tensor(labels, dtype=torch.float64),
            torch.tensor(side), TAU)  # fmt: skip
    by_hand = np.mean([_knbc_by_hand(S[b].tolist(), seizure[b].tolist(), labels[b], side, TAU,
                                     bounded=True) for b in range(2)])  # fmt: skip
    bounded = knbc_loss(torch.tensor(S), *args, bounded=True)
    assert bounded.item() == pytest.approx(by_hand, rel=1e-9)
    # Perfect alignment: the printed form keeps falling, the bounded one reaches 0.
    aligned = np.where(np.array(side)[None, None] == seizure[..., None], 1.0, -1.0)
    assert knbc_loss(torch.tensor(aligned), *args, bounded=True).item() < 1e-10
    assert knbc_loss(torch.tensor(aligned), *args).item() < -20


def test_knbc_averages_over_crops_skips_empty_sides_and_ignores_padding():
    rng = np.random.default_rng(0)
    S = rng.uniform(-1, 1, size=(3, 5, 4))
    seizure = np.array([[1, 1, 0, 0, 0], [0, 0, 0, 0, 0], [0, 1, 1, 0, 1]], bool)
    mask = np.array([[1, 1, 1, 1, 0], [1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)
    labels = np.array([[1, 1, 0, 1], [1, 0, 1, 0], [0, 0, 0, 1]])
    side = [True, True, False, False]
    by_hand = [
        _knbc_by_hand(S[b][mask[b]].tolist(), seizure[b][mask[b]].tolist(), labels[b], side, TAU)
        for b in range(3)
    ]
    loss = knbc_loss(
        torch.tensor(S), torch.tensor(seizure), torch.tensor(mask),
        torch.tensor(labels, dtype=torch.float64), torch.tensor(side), TAU,
    )  # fmt: skip
    assert loss.item() == pytest.approx(np.mean(by_hand), rel=1e-9)


def test_attention_pooling_weights_by_p_sz_per_side_and_ignores_padding():
    S = torch.tensor([[[0.5, -0.2], [1.0, 0.4], [9.0, 9.0]]])  # (1, 3 windows, 2 concepts)
    p_sz = torch.tensor([[0.8, 0.2, 0.99]])
    mask = torch.tensor([[True, True, False]])  # window 2 is padding with junk values
    side = torch.tensor([True, False])
    pooled = pool_similarity(S, p_sz, mask, side, "attention")
    seizure_concept = (0.8 * 0.5 + 0.2 * 1.0) / (0.8 + 0.2)
    other_concept = (0.2 * -0.2 + 0.8 * 0.4) / (0.2 + 0.8)
    assert pooled[0].tolist() == pytest.approx([seizure_concept, other_concept], abs=1e-5)
    assert pool_similarity(S, p_sz, mask, side, "avg")[0].tolist() == pytest.approx(
        [0.75, 0.1], abs=1e-5
    )
    assert pool_similarity(S, p_sz, mask, side, "max")[0].tolist() == pytest.approx([1.0, 0.4])


def test_concept_weights_are_one_minus_smoothed_training_frequency():
    labels = np.array([[1, 0, 0], [1, 0, 1], [1, 0, 0], [0, 0, 1]])
    weights = concept_weights(labels)
    assert weights == pytest.approx(1 - (labels.sum(0) + 0.5) / 5)
    assert np.all((weights > 0) & (weights < 1))  # never-seen concepts keep both terms
    # Weighted BCE: positives weighted w, negatives 1 - w (Eq. 3).
    logits = torch.tensor([[0.3, -1.0, 2.0]])
    targets = torch.tensor([[1.0, 0.0, 1.0]])
    w = torch.tensor(weights)
    p = torch.sigmoid(logits)
    expected = -(w * targets * p.log() + (1 - w) * (1 - targets) * (1 - p).log()).mean()
    assert prediction_loss(logits, targets, w).item() == pytest.approx(expected.item(), rel=1e-5)


def test_fold_split_is_patient_grouped(tmp_path):
    paths = make_cohort(tmp_path, n_subjects=12)
    folds = pl.read_csv(paths["folds"])
    crops = read_crops(paths["latents"], read_labels(paths["labels"]), set(folds["subject"]))
    train, val, test = split_fold(crops, folds, 1, 0.2, seed=3)
    held_out = set(folds.filter(pl.col("fold") == 1)["subject"])
    assert set(test.subjects) == held_out
    assert not (set(train.subjects) | set(val.subjects)) & held_out
    assert set(train.subjects).isdisjoint(val.subjects) and len(val) >= 1


def _relabel(labels_path, subjects, flip_concept=3):
    table = pl.read_parquet(labels_path)
    flipped = [
        [1 - v if i == flip_concept else v for i, v in enumerate(row)] if s in subjects else row
        for s, row in zip(table["subject"], table["labels"].to_list(), strict=True)
    ]
    table.with_columns(
        pl.Series("labels", flipped, dtype=pl.Array(pl.Int8, N_CONCEPTS))
    ).write_parquet(labels_path)


def test_bce_weights_come_from_training_fold_labels_only(tmp_path):
    paths = make_cohort(tmp_path, n_subjects=9)
    params = cohort_params(tmp_path, epochs=1, patience=1)
    params = params.model_copy(
        update={"train": params.train.model_copy(update={"methods": ("szxai",)})}
    )
    weights = run(params, "deepsoz", 0)["concept_weights"]
    folds = pl.read_csv(paths["folds"])
    held_out = set(folds.filter(pl.col("fold") == 0)["subject"])
    _relabel(paths["labels"], held_out)
    assert run(params, "deepsoz", 0)["concept_weights"] == weights
    _relabel(paths["labels"], set(folds["subject"]) - held_out)
    assert run(params, "deepsoz", 0)["concept_weights"] != weights


def test_read_crops_pads_masks_and_labels_per_patient(tmp_path):
    paths = make_cohort(tmp_path, n_subjects=4, n_windows=10)
    labels = read_labels(paths["labels"])
    crops = read_crops(paths["latents"], labels, {"s00", "s01", "s02"})
    assert crops.subjects == ["s00", "s01", "s02"]
    assert crops.h.shape == (3, 10, 8) and crops.mask.sum(axis=1).tolist() == [8, 8, 8]
    assert not (crops.seizure & ~crops.mask).any()
    assert crops.labels[1] == pytest.approx(labels["s01"])
    concepts = read_concepts(paths["bank"])
    assert concepts.seizure.tolist() == SEIZURE_SIDE.tolist()


def _batch(rng, n=3, t=7, d=8, pad_last=2) -> CropTensors:
    mask = torch.ones(n, t, dtype=torch.bool)
    mask[0, -pad_last:] = False
    return CropTensors(
        h=torch.tensor(rng.normal(size=(n, t, d)), dtype=torch.float32),
        p_sz=torch.tensor(rng.uniform(size=(n, t)), dtype=torch.float32),
        seizure=torch.tensor(rng.uniform(size=(n, t)) > 0.5) & mask,
        mask=mask,
        labels=torch.tensor(rng.integers(0, 2, size=(n, N_CONCEPTS)), dtype=torch.float32),
    )


@pytest.mark.parametrize("name", METHODS)
def test_every_method_maps_padded_crops_to_one_logit_per_concept(tmp_path, name):
    paths = make_cohort(tmp_path, n_subjects=3)
    concepts = read_concepts(paths["bank"])
    model = stack_of([name], concepts, cohort_params(tmp_path))
    batch = _batch(np.random.default_rng(1))
    (out,) = model(batch, return_encodings=True)
    assert model.logits([out]).shape == (1, 3, N_CONCEPTS)
    if METHOD_SPECS[name].architecture == "window-head":
        assert out.similarity.shape == (1, 3, 7, N_CONCEPTS)
        assert out.encodings.shape == (1, 3, 7, 6)
        assert out.similarity[0, 0, -2:].abs().sum() == 0  # padding has no score
        assert out.similarity.abs().max() <= 1 + 1e-5
    # Padding content never changes a prediction.
    model.eval()
    junk = CropTensors(batch.h.clone(), batch.p_sz, batch.seizure, batch.mask, batch.labels)
    junk.h[0, -2:] = 100.0
    assert torch.allclose(model.logits(model(batch)), model.logits(model(junk)), atol=1e-5)


def test_l2_penalty_sums_squared_linear_weights_of_the_layers_whose_scale_counts(tmp_path):
    paths = make_cohort(tmp_path, n_subjects=3)
    concepts = read_concepts(paths["bank"])
    model = stack_of(["szxai", "szxai-nal", "patricio"], concepts, cohort_params(tmp_path))
    heads, patricio = model.groups
    layers = [*heads.encoder.linears, heads.concept_layer]
    assert len(layers) == 4  # f_NN's three Linear layers and the concept layer
    for m in range(2):
        everything = sum((layer.weight[m] ** 2).sum() for layer in layers)
        assert l2_penalty(heads, scale_invariant=True)[m].item() == pytest.approx(
            everything.item(), rel=1e-6
        )
        # By default not f_NN's first two layers, whose output BatchNorm normalises.
        counted = sum((layer.weight[m] ** 2).sum() for layer in layers[2:])
        assert l2_penalty(heads)[m].item() == pytest.approx(counted.item(), rel=1e-6)
    projection = (patricio.projection.weight[0] ** 2).sum()
    assert l2_penalty(patricio).tolist() == pytest.approx([projection.item()])
    # Scaling a layer left out leaves the logits as they were (eval mode: the
    # BatchNorm statistics are the batch's own only in training, so use those).
    batch = _batch(np.random.default_rng(0))
    model.train()
    before = model.logits(model(batch))
    with torch.no_grad():
        heads.encoder.linears[0].weight.mul_(3.0)
        heads.encoder.linears[1].weight.mul_(2.0)
    assert torch.allclose(model.logits(model(batch)), before, atol=1e-3)  # BatchNorm eps


def test_window_sampling_draws_distinct_real_windows():
    batch = _batch(np.random.default_rng(2), n=4, t=12, pad_last=5)
    sampled = sample_windows(batch, 6, torch.Generator().manual_seed(0))
    assert sampled.h.shape == (4, 6, 8)
    assert sampled.mask.all()  # crop 0 has 7 real windows: all 6 draws are real
    for b in range(4):
        rows = {tuple(r) for r in sampled.h[b].tolist()}
        assert len(rows) == 6 and rows <= {tuple(r) for r in batch.h[b][batch.mask[b]].tolist()}


def test_p_sz_draw_takes_half_its_windows_where_p_sz_is_high_and_the_rest_uniformly():
    rng = np.random.default_rng(3)
    batch = _batch(rng, n=2, t=200, pad_last=50)
    p_sz = torch.full((2, 200), 1e-6)
    p_sz[:, 40:45] = 0.95  # a 5-window seizure in each crop (crop 0's padding starts at 150)
    p_sz[0, 160:] = 1.0  # padding is never drawn, however high its p_sz
    batch = dataclasses.replace(batch, p_sz=p_sz, h=torch.arange(400.0).reshape(2, 200, 1))
    seizure_draws, draws = 0, 0
    for seed in range(20):
        sampled = sample_windows_by_p_sz(batch, 8, torch.Generator().manual_seed(seed))
        assert sampled.h.shape == (2, 8, 1) and sampled.mask.all()
        index = sampled.h[..., 0].long() % 200  # window index of every draw
        assert (index.diff(dim=1) > 0).all()  # distinct, in time order
        assert (index[0] < 150).all()
        in_seizure = ((index >= 40) & (index < 45)).sum(dim=1)
        assert (in_seizure >= 4).all()  # the p_sz half lands on the seizure (odds 1e-6 / 0.95)
        seizure_draws += int(in_seizure.sum())
        draws += index.numel()
    uniform = sample_windows(batch, 8, torch.Generator().manual_seed(0)).h[..., 0].long() % 200
    assert ((uniform >= 40) & (uniform < 45)).sum() <= 2  # a uniform draw mostly misses it
    assert seizure_draws / draws < 0.6  # the other half stays spread over the crop


def test_p_sz_added_draw_keeps_the_whole_uniform_draw_beside_the_p_sz_windows():
    rng = np.random.default_rng(4)
    batch = _batch(rng, n=2, t=200)
    p_sz = torch.full((2, 200), 1e-6)
    p_sz[:, 100:104] = 0.95
    batch = dataclasses.replace(batch, p_sz=p_sz, h=torch.arange(400.0).reshape(2, 200, 1))
    half = sample_windows_by_p_sz(batch, 8, torch.Generator().manual_seed(1))
    added = sample_windows_by_p_sz(batch, 8, torch.Generator().manual_seed(1), n_uniform=8)
    assert half.h.shape == (2, 8, 1) and added.h.shape == (2, 12, 1) and added.mask.all()
    index = added.h[..., 0].long() % 200
    assert (index.diff(dim=1) > 0).all()  # 12 distinct windows
    assert (((index >= 100) & (index < 104)).sum(dim=1) == 4).all()  # all 4 seizure windows
    whole = sample_windows_by_p_sz(batch, 8, torch.Generator().manual_seed(1), n_uniform=200)
    assert whole.h.shape == batch.h.shape  # asking for more than the crop holds: the crop


def test_detector_stays_frozen_while_the_head_trains(tmp_path):
    paths = make_cohort(tmp_path, n_subjects=3)
    concepts = read_concepts(paths["bank"])
    detector = freeze(DeepSOZ())
    before = {k: v.clone() for k, v in detector.state_dict().items()}
    eeg = torch.randn(2, 6, 19, 200)
    out = detector(eeg)
    latents = out.latents
    assert not latents.requires_grad  # nothing can flow back into the detector
    head = stack_of(["szxai"], concepts, cohort_params(tmp_path), latent_dim=latents.shape[-1])
    crops = CropTensors(
        h=latents, p_sz=out.logits.softmax(-1)[..., 1],
        seizure=torch.zeros(2, 6, dtype=torch.bool), mask=torch.ones(2, 6, dtype=torch.bool),
        labels=torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 1]]),
    )  # fmt: skip
    head_before = [p.clone() for p in head.parameters()]
    fit(head, crops, None, torch.full((4,), 0.5), hyper(epochs=3, batch_crops=2), seed=0)
    assert all(p.grad is None for p in detector.parameters())
    assert all(torch.equal(before[k], v) for k, v in detector.state_dict().items())
    assert any(not torch.equal(a, b) for a, b in zip(head_before, head.parameters(), strict=True))


def test_szxai_learns_concepts_that_the_latents_carry(tmp_path, cohort):
    paths, folds, crops = cohort
    params = cohort_params(tmp_path)
    train, val, test = split_fold(crops, folds, 0, 0.2, params.seed)
    concepts = read_concepts(paths["bank"])
    weights = torch.from_numpy(concept_weights(np.concatenate([train.labels, val.labels])))
    model = stack_of(["szxai"], concepts, params)
    device = torch.device("cpu")
    settings = hyper(lr=0.01, epochs=100, patience=100, batch_crops=4)
    fitted = fit(model, train.to_tensors(device), val.to_tensors(device), weights, settings, seed=0)
    result = fitted.results[0]
    probs = predict(fitted.stack, test.to_tensors(device))["probs"][0]
    # Held-out patients: present concepts rank above absent ones, and the
    # thresholded predictions are far above chance (prevalence ~0.6 here).
    assert roc_auc_score(test.labels.ravel(), probs.ravel()) > 0.8
    scores = macro_metrics(test.labels, probs >= 0.5)
    assert scores["precision"] > 0.8 and scores["specificity"] > 0.8, scores
    assert result.history[-1]["cp"] < result.history[0]["cp"]


def test_run_fold_writes_the_contract_and_is_reproducible(tmp_path):
    make_cohort(tmp_path, n_subjects=9, pre_dim=DeepSOZ.pre_dim)
    params = cohort_params(tmp_path, epochs=3, patience=3)
    record = run(params, "deepsoz", 2)
    out = tmp_path / "train" / "deepsoz" / "fold2"
    predictions = pl.read_parquet(out / "predictions.parquet")
    # The methods, then the reference rows of spec section 11, on the same held-out crops.
    rows = list(METHODS) + list(REFERENCES)
    assert predictions["method"].unique(maintain_order=True).to_list() == rows
    assert predictions.height == len(rows) * record["n_test_crops"]
    assert sorted(record["references"]) == sorted(REFERENCES)
    assert record["references"]["probe-pre"]["n_inputs"] == DeepSOZ.pre_dim
    assert len(predictions["probs"][0]) == N_CONCEPTS
    aligned = pl.read_parquet(out / "latents_aligned.parquet")
    assert aligned.height == record["n_test_crops"] * 30
    assert len(aligned["h_tilde"][0]) == 6 and len(aligned["similarity"][0]) == N_CONCEPTS
    assert aligned.filter(pl.col("is_pad"))["similarity"].to_numpy().tolist() == [[0.0] * 4] * (
        2 * record["n_test_crops"]
    )
    # Byte-identical outputs (no wall-clock field), so DVC sees a rerun as unchanged.
    files = ("predictions.parquet", "latents_aligned.parquet", "metrics.json")
    first = {name: (out / name).read_bytes() for name in files}
    run(params, "deepsoz", 2)
    assert {name: (out / name).read_bytes() for name in files} == first
    with pytest.raises(ValueError, match="not one of folds.ids"):
        run(params, "deepsoz", 5)


@pytest.mark.parametrize(("strength", "low", "high"), [(3.0, 0.9, 1.01), (0.0, 0.2, 0.8)])
def test_latent_probe_finds_concepts_only_when_the_latents_carry_them(
    tmp_path, strength, low, high
):
    from pipeline.szxai.probe import probe_auroc

    paths = make_cohort(tmp_path, n_subjects=30, strength=strength)
    folds = pl.read_csv(paths["folds"])
    crops = read_crops(paths["latents"], read_labels(paths["labels"]), set(folds["subject"]))
    assert low < np.nanmean(probe_auroc(crops, SEIZURE_SIDE)) < high


def test_crop_score_norm_standardises_across_crops_and_survives_a_single_crop():
    norm = StackedBatchNorm(1, 3, affine=False)
    scores = torch.tensor([[[0.10, 0.50, -0.2], [0.11, 0.52, -0.1], [0.12, 0.47, -0.3]]])
    out = norm.train()(scores)[0]
    reference = torch.nn.BatchNorm1d(3, affine=False).train()
    assert torch.allclose(out, reference(scores[0]), atol=1e-6)
    scores = scores[0]
    # Each concept's scores are standardised across the crops: spreads of 1e-2
    # become spreads of ~1 whatever the offset.
    spread = scores.var(0, unbiased=False)
    assert torch.allclose(out, (scores - scores.mean(0)) / torch.sqrt(spread + norm.eps), atol=1e-5)
    assert (out.std(0) > 0.9).all()
    # Running statistics as torch's BatchNorm1d keeps them (unbiased variance, momentum 0.1).
    assert torch.allclose(norm.running_mean[0, 0], reference.running_mean)
    assert torch.allclose(norm.running_var[0, 0], reference.running_var)
    running_mean, running_var = norm.running_mean.clone(), norm.running_var.clone()
    single = norm(scores[None, :1])  # one crop: scaled by the running statistics, which stay put
    expected = (scores[:1] - running_mean[0]) / torch.sqrt(running_var[0] + norm.eps)
    assert torch.allclose(single[0], expected)
    assert torch.equal(norm.running_mean, running_mean)


BATCH_CASES = [(5, 2, [3, 2]), (48, 64, [48]), (50, 16, [17, 17, 16]), (1, 4, [1])]


@pytest.mark.parametrize(("n_crops", "batch_crops", "sizes"), BATCH_CASES)
def test_training_batches_hold_at_least_batch_crops_crops(n_crops, batch_crops, sizes):
    order = torch.arange(n_crops)
    assert [len(b) for b in crop_batches(order, batch_crops)] == sizes


def test_without_patience_training_runs_every_epoch_and_keeps_the_last(tmp_path):
    paths = make_cohort(tmp_path, n_subjects=6)
    concepts = read_concepts(paths["bank"])
    crops = read_crops(
        paths["latents"], read_labels(paths["labels"]), {f"s{i:02d}" for i in range(6)}
    )
    device = torch.device("cpu")
    tensors = crops.to_tensors(device)
    weights = torch.full((N_CONCEPTS,), 0.5)
    model = stack_of(["szxai"], concepts, cohort_params(tmp_path))
    settings = hyper(epochs=7, patience=None, batch_crops=4, refit_score_norm=False)
    fitted = fit(model, tensors, tensors, weights, settings, seed=0)
    result = fitted.results[0]
    assert result.epochs_run == 7 and result.best_epoch == 7
    # The returned weights are the last epoch's: the validation loss recomputed now
    # equals the one recorded for epoch 7.
    losses, _ = validation_losses(fitted.stack, tensors, LossTerms.of(model, weights, TAU))
    assert losses[0] == pytest.approx(result.history[-1]["val_cp"], rel=1e-6)


def _fold_tensors(tmp_path, n_subjects=12):
    paths = make_cohort(tmp_path, n_subjects=n_subjects)
    params = cohort_params(tmp_path)
    folds = pl.read_csv(paths["folds"])
    crops = read_crops(paths["latents"], read_labels(paths["labels"]), set(folds["subject"]))
    train, val, test = split_fold(crops, folds, 0, 0.25, params.seed)
    device = torch.device("cpu")
    tensors = [part.to_tensors(device) for part in (train, val, test)]
    return (
        params,
        read_concepts(paths["bank"]),
        torch.from_numpy(concept_weights(train.labels)),
        tensors,
    )


@pytest.mark.parametrize("patience", [None, 2])
def test_stacked_training_equals_training_each_method_alone(tmp_path, patience):
    params, concepts, weights, (train, val, test) = _fold_tensors(tmp_path)
    settings = hyper(epochs=6, patience=patience, batch_crops=3, train_windows=10)
    names, seeds = list(METHODS), [11 * (i + 1) for i in range(len(METHODS))]
    together = fit(stack_of(names, concepts, params, seeds=seeds), train, val, weights,
                   settings, seed=5)  # fmt: skip
    probs = predict(together.stack, test)["probs"]
    for i, name in enumerate(names):
        alone = fit(stack_of([name], concepts, params, seeds=[seeds[i]]), train, val, weights,
                    settings, seed=5)  # fmt: skip
        assert np.allclose(predict(alone.stack, test)["probs"][0], probs[i], atol=1e-5), name
        mine, theirs = alone.results[0], together.results[i]
        assert (mine.epochs_run, mine.best_epoch) == (theirs.epochs_run, theirs.best_epoch), name
        for a, b in zip(mine.history, theirs.history, strict=True):
            assert a == pytest.approx(b, rel=1e-4, abs=1e-6, nan_ok=True), name


def test_early_stopping_keeps_each_slot_at_its_own_best_epoch(tmp_path):
    params, concepts, weights, (train, val, _) = _fold_tensors(tmp_path)
    model = stack_of(["szxai", "patricio"], concepts, params)
    # Without the refit, which changes the score normalisation after the best epoch.
    settings = hyper(epochs=30, patience=3, batch_crops=3, refit_score_norm=False)
    fitted = fit(model, train, val, weights, settings, seed=0)
    losses, _ = validation_losses(fitted.stack, val, LossTerms.of(model, weights, TAU))
    for slot, result in enumerate(fitted.results):
        recorded = [h["val_cp"] for h in result.history]
        assert result.best_epoch == 1 + int(np.argmin(recorded))
        assert result.epochs_run <= 30 and result.best_val_loss == pytest.approx(min(recorded))
        # The restored weights give the best epoch's validation loss again.
        assert losses[slot] == pytest.approx(result.best_val_loss, rel=1e-5)


def test_tuning_trains_one_slot_per_setting_and_keeps_the_best_inner_validation_loss(tmp_path):
    from pipeline.config import TuneParams

    params = cohort_params(tmp_path)
    params = params.model_copy(update={"train": params.train.model_copy(update={
        "methods": ("szxai", "szxai-nal"), "val_fraction": 0.25,
        "tune": TuneParams(lambda1=(0.5, 1.0), lambda2=(0.01, 0.001))})})  # fmt: skip
    slots = fold_slots(params, 0)
    # lambda1 only matters with the alignment loss: 2 x 2 settings for szxai, 2 for szxai-nal.
    assert [(s.method.name, s.lambda1, s.lambda2) for s in slots][:4] == [
        ("szxai", 0.5, 0.01),
        ("szxai", 0.5, 0.001),
        ("szxai", 1.0, 0.01),
        ("szxai", 1.0, 0.001),
    ]
    assert [s.method.name for s in slots[4:]] == ["szxai-nal"] * 2
    assert len({s.seed for s in slots}) == len(slots)
    losses = [0.5, 0.3, 0.4, 0.3, 0.2, 0.1]
    results = [FitResult(1, 1, v) for v in losses]
    assert choose_slots(slots, results) == {"szxai": 1, "szxai-nal": 5}
    with pytest.raises(ValueError, match="val_fraction"):
        params.train.model_copy(update={"val_fraction": 0.0}).model_validate(
            {**params.train.model_dump(), "val_fraction": 0.0}
        )


def _crops(h: np.ndarray, mask: np.ndarray) -> Crops:
    """Crops of latents ``h`` (n, T, d) and ``mask``; every other field a placeholder."""
    n, t = mask.shape
    return Crops(
        crop_ids=[f"c{i}" for i in range(n)], subjects=[f"s{i}" for i in range(n)], h=h,
        p_sz=np.zeros((n, t), np.float32), seizure=np.zeros((n, t), bool), mask=mask,
        window_index=np.tile(np.arange(t), (n, 1)), labels=np.zeros((n, N_CONCEPTS), np.float32),
    )  # fmt: skip


def test_latent_moments_use_real_windows_only_and_leave_constant_dimensions_unscaled():
    rng = np.random.default_rng(3)
    h = rng.normal(2.0, 3.0, size=(2, 5, 3)).astype(np.float32)
    h[..., 2] = 4.0  # a constant dimension
    mask = np.ones((2, 5), bool)
    mask[1, 3:] = False
    h[1, 3:] = 1e6  # padding content must not count
    crops = _crops(h, mask)
    mean, scale = latent_moments([crops.subset([0]), crops.subset([1])])
    real = h[mask].astype(np.float64)
    np.testing.assert_allclose(mean, real.mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(scale[:2], real.std(axis=0)[:2], rtol=1e-6)
    assert scale[2] == 1.0


def test_a_stack_with_fitted_latent_scaling_equals_one_fed_standardised_latents(tmp_path):
    paths = make_cohort(tmp_path, n_subjects=3)
    concepts = read_concepts(paths["bank"])
    params = cohort_params(tmp_path)
    batch = _batch(np.random.default_rng(2), d=8)
    batch = dataclasses.replace(batch, h=batch.h * torch.linspace(0.05, 5.0, 8) + 3.0)
    mask = batch.mask.numpy()
    crops = _crops(batch.h.numpy(), mask)
    scaled, plain = (stack_of(list(METHODS), concepts, params) for _ in range(2))
    scaled.fit_latent_scaling([crops])
    mean, scale = latent_moments([crops])
    standardised = dataclasses.replace(
        batch, h=(batch.h - torch.from_numpy(mean)) / torch.from_numpy(scale)
    )
    for model in (scaled, plain):
        model.eval()
    assert torch.allclose(
        scaled.logits(scaled(batch)), plain.logits(plain(standardised)), atol=1e-5
    )
    # Unfitted, the scaling is exactly the identity (the paper's heads are unchanged) ...
    unscaled = plain.logits([group(batch) for group in plain.groups])
    assert torch.equal(plain.logits(plain(batch)), unscaled)
    # ... and fitted, it travels in the state dict (a saved head applies its own).
    reloaded = stack_of(list(METHODS), concepts, params)
    reloaded.load_state_dict(scaled.state_dict(), strict=True)
    reloaded.eval()
    assert torch.equal(reloaded.logits(reloaded(batch)), scaled.logits(scaled(batch)))


def test_refitting_the_score_norm_standardises_whole_training_crops_and_touches_nothing_else(
    tmp_path,
):
    params, concepts, weights, (train, _, test) = _fold_tensors(tmp_path)
    names = ["szxai", "szxai-max", "patricio", "yan"]
    settings = hyper(epochs=3, batch_crops=3, train_windows=4, patience=None)
    runs = {
        refit: fit(stack_of(names, concepts, params), train, None, weights,
                   dataclasses.replace(settings, refit_score_norm=refit), seed=1).stack
        for refit in (False, True)
    }  # fmt: skip
    kept, refitted = runs[False].state_dict(), runs[True].state_dict()
    changed = {k for k in kept if not torch.equal(kept[k], refitted[k])}
    assert changed and all("score_norm.running_" in k for k in changed)
    # Each window head's normalised scores of its own (whole) training crops:
    # mean 0 and unbiased variance 1 (up to BatchNorm's eps) per slot and concept.
    stack = runs[True]
    heads = [g for g in stack.groups if hasattr(g, "score_norm")]
    seen = []
    hooks = [h.score_norm.register_forward_hook(lambda m, i, o: seen.append(o)) for h in heads]
    stack(train)
    for hook in hooks:
        hook.remove()
    assert len(seen) == len(heads) == 3  # szxai (p_sz draw), szxai-max (uniform draw), yan
    for head, normalised in zip(heads, seen, strict=True):
        var, mean = torch.var_mean(normalised, dim=1, keepdim=True, correction=1)
        running = head.score_norm.running_var
        assert torch.allclose(mean, torch.zeros_like(mean), atol=1e-4)
        assert torch.allclose(var, running / (running + head.score_norm.eps), rtol=1e-3)
    # Refitting is the last step: predictions follow the refitted statistics.
    assert not np.allclose(predict(runs[False], test)["probs"], predict(stack, test)["probs"])


def test_score_norm_statistics_need_two_rows():
    norm = StackedBatchNorm(2, 3, affine=False)
    with pytest.raises(ValueError, match="at least 2 rows"):
        norm.set_statistics(torch.zeros(2, 1, 3))

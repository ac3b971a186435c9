"""szxai-ft: the detector's BiLSTM, trained with the head from the latents that feed it."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
import torch
from torch import nn

from pipeline.config import TrainParams
from pipeline.detectors import DETECTORS, DeepSOZ
from pipeline.detectors.training import freeze
from pipeline.stages import train as train_stage
from pipeline.stages.train import run
from pipeline.szxai.data import ConceptSpace, CropTensors
from pipeline.szxai.finetune import BiLSTMEncoder, anchored_subcrops, detector_bilstm
from pipeline.szxai.methods import METHOD_SPECS, MethodStack, Slot
from pipeline.szxai.training import Hyper, fit, predict
from tests.helpers.szxai import N_CONCEPTS, SEIZURE_SIDE, cohort_params, make_cohort


def _crops(h: torch.Tensor, n_real: list[int], seizure_at: list[slice | None]) -> CropTensors:
    n, t = h.shape[:2]
    mask = torch.arange(t)[None, :] < torch.tensor(n_real)[:, None]
    seizure = torch.zeros(n, t, dtype=torch.bool)
    for row, where in enumerate(seizure_at):
        if where is not None:
            seizure[row, where] = True
    labels = (torch.arange(n * N_CONCEPTS).reshape(n, N_CONCEPTS) % 3 == 0).float()
    return CropTensors(h * mask[..., None], torch.rand(n, t), seizure & mask, mask, labels)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_the_bilstm_copy_maps_the_detectors_pre_latents_to_its_latents(name):
    torch.manual_seed(0)
    model = freeze(DETECTORS[name]())
    eeg = torch.randn(2, 9, 19, 200)
    pad = torch.zeros(2, 9, dtype=torch.bool)
    pad[1, 6:] = True  # trailing padding, skipped by the BiLSTM
    out = model(eeg, pad)
    encoder = BiLSTMEncoder(detector_bilstm(model)).eval()
    crops = _crops(out.pre, [9, 6], [None, None])
    with torch.no_grad():
        h = encoder(crops).h
    torch.testing.assert_close(h, out.latents, rtol=1e-5, atol=1e-6)
    assert float(h[1, 6:].abs().max()) == 0.0
    # A copy: training it leaves the frozen detector's weights alone.
    assert all(p.requires_grad for p in encoder.parameters())
    assert not any(p.requires_grad for p in model.parameters())


def test_a_module_without_one_bilstm_is_refused():
    with pytest.raises(ValueError, match="exactly one"):
        detector_bilstm(nn.Sequential(nn.Linear(3, 3)))
    with pytest.raises(ValueError, match="bidirectional"):
        detector_bilstm(nn.LSTM(3, 2, batch_first=True))


def test_subcrops_are_consecutive_real_windows_holding_a_seizure_window():
    n, t, length = 6, 40, 8
    index = torch.arange(t, dtype=torch.float32)
    h = index.reshape(1, t, 1).expand(n, t, 1).clone()  # h = window index
    n_real = [40, 40, 30, 5, 40, 12]
    seizure_at = [slice(0, 2), slice(37, 40), slice(10, 25), None, None, slice(10, 12)]
    crops = _crops(h, n_real, seizure_at)
    generator = torch.Generator().manual_seed(3)
    for _ in range(20):
        sub = anchored_subcrops(crops, length, generator)
        assert sub.h.shape == (n, length, 1)
        first = sub.h[:, 0, 0]
        for row in (0, 1, 2, 4, 5):
            assert torch.equal(sub.h[row, :, 0], first[row] + torch.arange(length)), row
            assert bool(sub.mask[row].all())
            if seizure_at[row] is not None:
                assert bool(sub.seizure[row].any()), row
        # Shorter than L: from the start, its padding trailing and masked.
        assert first[3] == 0 and sub.mask[3].tolist() == [True] * 5 + [False] * 3
    assert anchored_subcrops(crops, t, generator) is crops


def _hyper(**changes) -> Hyper:
    base = dict(lambda1=1.0, lambda2=0.001, lr=0.01, epochs=4, patience=None, batch_crops=3,
                tau=0.07, train_windows=16, l2_all_layers=False, knbc_bounded=False,
                refit_score_norm=True)  # fmt: skip
    return Hyper(**{**base, **changes})


def _stack(seed: int, latent_dim: int) -> MethodStack:
    rng = np.random.default_rng(0)
    concepts = ConceptSpace(
        ["a", "b", "c", "d"], rng.normal(size=(N_CONCEPTS, 6)).astype(np.float32), SEIZURE_SIDE
    )
    slot = Slot(METHOD_SPECS["szxai-ft"], 1.0, 0.001, seed)
    return MethodStack([slot], latent_dim, concepts, TrainParams(hidden=8))


def _same(first, second) -> bool:
    return all(torch.equal(a, b) for a, b in zip(list(first), list(second), strict=True))


def test_a_frozen_encoder_trains_the_head_as_precomputed_latents_would():
    torch.manual_seed(1)
    lstm = nn.LSTM(5, 3, batch_first=True, bidirectional=True)
    seizure_at = [slice(2, 6), None, slice(10, 14), slice(0, 3), None, slice(15, 20), None]
    crops = _crops(torch.randn(7, 20, 5), [20, 20, 18, 20, 15, 20, 20], seizure_at)
    frozen = BiLSTMEncoder(lstm)
    with torch.no_grad():
        encoded = frozen.eval()(crops)
    weights = torch.full((N_CONCEPTS,), 0.5)
    # Whole crops: a BiLSTM over a sub-crop sees less context than the
    # whole-crop latents, so only whole crops can match precomputed ones.
    whole = _hyper(train_windows=None)
    alone = fit(_stack(5, 6), encoded, None, weights, whole, seed=9)
    with_encoder = fit(_stack(5, 6), crops, None, weights, whole, seed=9, encoder=frozen,
                       encoder_lr=0.0)  # fmt: skip
    torch.testing.assert_close(
        predict(with_encoder.stack, crops, encoder=frozen)["probs"],
        predict(alone.stack, encoded)["probs"], rtol=1e-4, atol=1e-5,
    )  # fmt: skip
    assert _same(frozen.lstm.parameters(), lstm.parameters())
    # With a learning rate, the BiLSTM copy moves; the detector's own LSTM does not.
    before = [p.detach().clone() for p in lstm.parameters()]
    tuned = BiLSTMEncoder(lstm)
    fit(_stack(5, 6), crops, None, weights, _hyper(), seed=9, encoder=tuned, encoder_lr=0.01,
        draw=lambda train, generator: anchored_subcrops(train, 8, generator))  # fmt: skip
    assert not _same(tuned.lstm.parameters(), before)
    assert _same(lstm.parameters(), before)
    with pytest.raises(ValueError, match="early stopping"):
        fit(_stack(5, 6), crops, crops, weights, _hyper(patience=2), seed=9, encoder=tuned)


def test_the_train_stage_writes_a_reproducible_szxai_ft_row(tmp_path):
    make_cohort(tmp_path, n_subjects=9, pre_dim=DeepSOZ.pre_dim)
    params = cohort_params(tmp_path, epochs=3, patience=3)
    params = params.model_copy(update={"train": params.train.model_copy(
        update={"methods": ("szxai", "szxai-ft"), "references": ()})})  # fmt: skip
    record = run(params, "deepsoz", 1)
    ft = record["methods"]["szxai-ft"]
    # No early stopping for the encoder: every epoch runs, the last is kept.
    assert ft["epochs_run"] == ft["best_epoch"] == 3
    assert ft["finetune"] == {"lr_scale": 0.1, "windows": 60}
    out = tmp_path / "train" / "deepsoz" / "fold1" / "predictions.parquet"
    predictions = pl.read_parquet(out)
    assert predictions["method"].unique(maintain_order=True).to_list() == ["szxai", "szxai-ft"]
    first = out.read_bytes()
    run(params, "deepsoz", 1)
    assert out.read_bytes() == first


def test_side_by_side_fits_write_what_fits_one_after_the_other_write(tmp_path, monkeypatch):
    make_cohort(tmp_path, n_subjects=9, pre_dim=DeepSOZ.pre_dim)
    params = cohort_params(tmp_path, epochs=2, patience=None)
    params = params.model_copy(update={"train": params.train.model_copy(
        update={"methods": ("szxai", "szxai-avg", "szxai-ft"), "references": ()})})  # fmt: skip
    threads = torch.get_num_threads()
    fold = tmp_path / "train" / "deepsoz" / "fold1"
    run(params, "deepsoz", 1)
    assert torch.get_num_threads() == threads  # the fits' own thread count is undone
    together = {f: (fold / f).read_bytes() for f in ("predictions.parquet",
                                                      "latents_aligned.parquet")}  # fmt: skip
    monkeypatch.setattr(train_stage, "side_by_side", lambda fits, device: [f() for f in fits])
    record = run(params, "deepsoz", 1)
    assert list(record["methods"]) == ["szxai", "szxai-avg", "szxai-ft"]
    assert {f: (fold / f).read_bytes() for f in together} == together

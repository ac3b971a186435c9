"""Frozen seizure detectors: published layouts, freezing, extraction contract."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import torch
from sklearn.metrics import roc_auc_score

from pipeline.config import Params, PreprocessParams
from pipeline.datasets.folds import split_subjects
from pipeline.detectors import CNNBLSTM, DETECTORS, DeepSOZ
from pipeline.detectors.extract import METADATA_KEY, read_detector_metadata, run_frozen
from pipeline.detectors.training import (
    draw_subcrops,
    freeze,
    load_checkpoint,
    random_detector,
    weighted_loss,
    window_auroc,
)
from pipeline.device import resolve_device
from pipeline.io.windows import CropData, CropRef, WindowFile, window_schema
from pipeline.preprocessing.preprocess import Crop, Recording, crop_table
from pipeline.stages.detector import run

# Spec section 5, written out: the keys and shapes of the published checkpoints.
DEEPSOZ_KEYS = {
    "pos_encoder.weight": (20, 200),
    "tx_encoder.self_attn.in_proj_weight": (600, 200),
    "tx_encoder.self_attn.in_proj_bias": (600,),
    "tx_encoder.self_attn.out_proj.weight": (200, 200),
    "tx_encoder.self_attn.out_proj.bias": (200,),
    "tx_encoder.linear1.weight": (256, 200),
    "tx_encoder.linear1.bias": (256,),
    "tx_encoder.linear2.weight": (200, 256),
    "tx_encoder.linear2.bias": (200,),
    "tx_encoder.norm1.weight": (200,),
    "tx_encoder.norm1.bias": (200,),
    "tx_encoder.norm2.weight": (200,),
    "tx_encoder.norm2.bias": (200,),
    "multi_lstm.weight_ih_l0": (400, 200),
    "multi_lstm.weight_hh_l0": (400, 100),
    "multi_lstm.bias_ih_l0": (400,),
    "multi_lstm.bias_hh_l0": (400,),
    "multi_lstm.weight_ih_l0_reverse": (400, 200),
    "multi_lstm.weight_hh_l0_reverse": (400, 100),
    "multi_lstm.bias_ih_l0_reverse": (400,),
    "multi_lstm.bias_hh_l0_reverse": (400,),
    "multi_linear.weight": (2, 200),
    "multi_linear.bias": (2,),
}
CNNBLSTM_KEYS = {
    "conv5a.weight": (5, 19, 3),
    "conv5a.bias": (5,),
    "conv5b.weight": (5, 5, 3),
    "conv5b.bias": (5,),
    "conv10a.weight": (10, 5, 3),
    "conv10a.bias": (10,),
    "conv10b.weight": (10, 10, 3),
    "conv10b.bias": (10,),
    "conv20a.weight": (20, 10, 3),
    "conv20a.bias": (20,),
    "conv20b.weight": (20, 20, 3),
    "conv20b.bias": (20,),
    "conv40a.weight": (40, 20, 3),
    "conv40a.bias": (40,),
    "conv40b.weight": (40, 40, 3),
    "conv40b.bias": (40,),
    **{
        f"bn{w}{s}.{buf}": (w,) if buf != "num_batches_tracked" else ()
        for w in (5, 10, 20, 40)
        for s in "ab"
        for buf in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked")
    },
    **{
        f"lstm.{kind}_l{layer}{rev}": shape
        for layer in (0, 1)
        for rev in ("", "_reverse")
        for kind, shape in (
            ("weight_ih", (80, 40)),
            ("weight_hh", (80, 20)),
            ("bias_ih", (80,)),
            ("bias_hh", (80,)),
        )
    },
    "fc1.weight": (2, 40),
    "fc1.bias": (2,),
}
LATENT_DIM = {"deepsoz": 200, "cnnblstm": 40}
#: Size of the BiLSTM input (h_pre): the global token's output / the pooled CNN features.
PRE_DIM = {"deepsoz": 200, "cnnblstm": 40}


def _n_params(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


def test_parameter_counts_match_the_published_models():
    assert _n_params(DeepSOZ()) == 510_458
    assert _n_params(CNNBLSTM()) == 30_182
    assert set(DETECTORS) == {"deepsoz", "cnnblstm"}


@pytest.mark.parametrize(
    ("name", "expected"), [("deepsoz", DEEPSOZ_KEYS), ("cnnblstm", CNNBLSTM_KEYS)]
)
def test_state_dict_keys_and_shapes_match_the_spec(name, expected):
    state = DETECTORS[name]().state_dict()
    assert {k: tuple(v.shape) for k, v in state.items()} == expected


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_float64_state_dict_reloads_strictly(tmp_path, name):
    torch.manual_seed(1)
    source = DETECTORS[name]().double()
    path = tmp_path / "published.pt"
    torch.save({"state_dict": source.state_dict()}, path)
    model = load_checkpoint(name, path, torch.device("cpu"))
    for key, value in model.state_dict().items():
        assert value.dtype == source.state_dict()[key].dtype or value.is_floating_point()
        torch.testing.assert_close(
            value.double(), source.state_dict()[key].double(), rtol=0, atol=1e-7
        )
    assert next(model.parameters()).dtype == torch.float32


def test_checkpoint_with_a_missing_key_is_rejected(tmp_path):
    state = CNNBLSTM().state_dict()
    del state["fc1.bias"]
    torch.save(state, tmp_path / "broken.pt")
    with pytest.raises(RuntimeError, match="fc1.bias"):
        load_checkpoint("cnnblstm", tmp_path / "broken.pt", torch.device("cpu"))


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_output_shapes_and_trailing_padding_is_skipped(name):
    torch.manual_seed(2)
    model = freeze(DETECTORS[name]())
    x = torch.randn(2, 9, 19, 200)
    pad = torch.zeros(2, 9, dtype=torch.bool)
    pad[1, 6:] = True
    out = model(x, pad)
    assert out.logits.shape == (2, 9, 2)
    assert out.latents.shape == (2, 9, LATENT_DIM[name])
    assert out.pre.shape == (2, 9, PRE_DIM[name]) and model.pre_dim == PRE_DIM[name]
    # The real windows of the padded crop see exactly what they see without the padding.
    alone = model(x[1:, :6])
    torch.testing.assert_close(out.latents[1, :6], alone.latents[0], rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(out.pre[1, :6], alone.pre[0], rtol=1e-5, atol=1e-6)
    assert torch.count_nonzero(out.latents[1, 6:]) == 0
    assert torch.count_nonzero(out.pre[1, 6:]) == 0
    assert torch.count_nonzero(out.pre[0]) > 0
    with pytest.raises(ValueError, match="trailing"):
        model(x, torch.flip(pad, dims=[1]))


def test_padding_windows_do_not_enter_the_loss():
    logits = torch.randn(1, 4, 2)
    label = torch.tensor([[0, 1, 1, 0]])
    pad = torch.tensor([[False, False, True, True]])
    weights = torch.tensor([0.2, 0.8])
    changed = logits.clone()
    changed[0, 2:] = torch.tensor([50.0, -50.0])
    first = weighted_loss(logits, label, pad, weights)
    second = weighted_loss(changed, label, pad, weights)
    assert torch.equal(first[0], second[0]) and torch.equal(first[1], second[1])
    expected = torch.nn.functional.cross_entropy(logits[0, :2], label[0, :2], weight=weights)
    torch.testing.assert_close(first[0] / first[1], expected)


def test_auroc_agrees_with_a_hand_count():
    # Positives 0.35 and 0.8 against negatives 0.1 and 0.4: 3 of 4 pairs ranked right.
    labels = [np.array([0, 1]), np.array([0, 1])]
    scores = [np.array([0.1, 0.35]), np.array([0.4, 0.8])]
    assert window_auroc(labels, scores) == pytest.approx(0.75)
    # A tie counts one half: 0.5 vs 0.5 plus one right pair of 2.
    assert window_auroc([np.array([0, 0, 1])], [np.array([0.5, 0.2, 0.5])]) == pytest.approx(0.75)
    assert window_auroc([np.array([0, 0])], [np.array([0.1, 0.9])]) is None


def test_seizure_subcrops_contain_a_seizure_window():
    n = 600
    label = np.zeros(n, np.int8)
    label[400:410] = 1  # a 10 s seizure in a 600 s crop
    ref = CropRef("c", "r", "s", ((0, 0, n),))
    crop = CropData(ref, np.zeros((n, 1, 2), np.float32), label, np.zeros(n, bool),
                    np.arange(n, dtype=np.int16), np.arange(n, dtype=float))  # fmt: skip
    rng = np.random.default_rng(0)
    always = draw_subcrops(crop, 60, 200, rng, seizure_share=1.0)
    assert all(len(lab) == 60 and lab.any() for _, lab, _ in always)
    uniform = draw_subcrops(crop, 60, 200, rng, seizure_share=0.0)
    hit = np.mean([lab.any() for _, lab, _ in uniform])
    assert hit < 0.3  # (60 + 9) / 541 ~ 0.13 by chance
    background = CropData(ref, crop.eeg, np.zeros(n, np.int8), crop.is_pad,
                          crop.window_index, crop.start_s)  # fmt: skip
    assert not any(lab.any() for _, lab, _ in draw_subcrops(background, 60, 20, rng, 1.0))


def test_subject_split_is_seeded_and_disjoint():
    subjects = [f"s{i}" for i in range(10)] * 2
    train, val = split_subjects(subjects, 0.3, np.random.default_rng(0))
    again = split_subjects(subjects, 0.3, np.random.default_rng(0))
    assert (train, val) == again
    assert len(val) == 3 and not train & val and train | val == set(subjects)
    assert split_subjects(["a"], 0.5, np.random.default_rng(0)) == ({"a"}, set())


# ---------------------------------------------------------------- tiny corpus

N_WINDOWS = 20


def _crop(
    subject: str,
    cohort: str,
    index: int,
    seizure: tuple[int, int] | None,
    n_real: int,
    rng: np.random.Generator,
) -> Crop:
    """A crop of background noise with a 3 Hz high-amplitude rhythm in its seizure windows."""
    t = np.arange(200) / 200
    windows = rng.standard_normal((N_WINDOWS, 19, 200)).astype(np.float32)
    labels = np.zeros(N_WINDOWS, np.int8)
    if seizure is not None:
        labels[seizure[0] : seizure[1]] = 1
        windows[labels == 1] += (4 * np.sin(2 * np.pi * 3 * t)).astype(np.float32)
    is_pad = np.arange(N_WINDOWS) >= n_real
    windows[is_pad], labels[is_pad] = 0, 0
    rec = Recording(f"{subject}_s001_t000", subject, cohort, "", float(n_real), ())
    return Crop(rec, index, "seizure" if seizure else "background", 0, windows, labels, is_pad)


def write_windows(path: Path, crops: list[Crop], rows_per_group: int | None = None) -> None:
    """Window file with the schema of ``preprocess`` (one row group per crop by default)."""
    params = PreprocessParams(crop_s=N_WINDOWS)
    schema = window_schema(params)
    tables = [crop_table(c, schema, params.window_s) for c in crops]
    if rows_per_group is None:
        with pq.ParquetWriter(path, schema) as writer:
            for table in tables:
                writer.write_table(table)
    else:
        pq.write_table(pa.concat_tables(tables), path, row_group_size=rows_per_group)


@pytest.fixture(scope="module")
def tiny_corpus(tmp_path_factory) -> Path:
    rng = np.random.default_rng(7)
    out = tmp_path_factory.mktemp("processed")
    pretrain = [
        _crop(f"p{i:03d}", "pretrain", 0, (3 + i, 9 + i) if i % 4 else None, N_WINDOWS, rng)
        for i in range(8)
    ]
    cv = [
        _crop("c000", "cv", 0, (2, 8), N_WINDOWS, rng),
        _crop("c001", "cv", 0, None, N_WINDOWS, rng),
        _crop("c001", "cv", 1, (10, 14), 16, rng),  # the last 4 windows are padding
    ]
    test = [_crop("t000", "test", 0, (4, 10), N_WINDOWS, rng)]
    write_windows(out / "windows-pretrain.parquet", pretrain)
    write_windows(out / "windows-cv.parquet", cv)
    write_windows(out / "windows-test.parquet", test)
    return out


def test_window_file_reads_crops_split_over_row_groups(tmp_path, tiny_corpus):
    reference = list(WindowFile(tiny_corpus / "windows-cv.parquet"))
    write_windows(
        tmp_path / "w.parquet",
        [_crop("x", "cv", i, None, N_WINDOWS, np.random.default_rng(i)) for i in range(3)],
        rows_per_group=7,
    )
    split = WindowFile(tmp_path / "w.parquet")
    # Rows 0-19, 20-39, 40-59 over row groups of 7 rows.
    assert [len(r.segments) for r in split.crops] == [3, 4, 4]
    crops = list(split)
    assert [c.eeg.shape for c in crops] == [(N_WINDOWS, 19, 200)] * 3
    np.testing.assert_array_equal(
        crops[1].eeg, _crop("x", "cv", 1, None, N_WINDOWS, np.random.default_rng(1)).windows
    )
    assert reference[2].is_pad.sum() == 4 and reference[0].label.sum() == 6


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_frozen_extraction_is_bit_identical_and_leaves_batchnorm_alone(tiny_corpus, name):
    torch.manual_seed(3)
    model = DETECTORS[name]()
    model(torch.randn(2, 5, 19, 200))  # training-mode pass: non-trivial BatchNorm statistics
    model = freeze(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    windows = WindowFile(tiny_corpus / "windows-cv.parquet")
    cpu = torch.device("cpu")
    first = [(o.p_sz.copy(), o.h.copy()) for o in run_frozen(model, windows, 2, cpu)]
    second = [(o.p_sz.copy(), o.h.copy()) for o in run_frozen(model, windows, 2, cpu)]
    for (p1, h1), (p2, h2) in zip(first, second, strict=True):
        assert np.array_equal(p1, p2) and np.array_equal(h1, h2)
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key
    assert not any(p.requires_grad for p in model.parameters())


def test_tiny_train_and_extract_writes_the_output_contract(tmp_path, tiny_corpus):
    fast = {
        "epochs": 3,
        "train_windows": 10,
        "subcrops_per_crop": 2,
        "batch_crops": 4,
        "val_fraction": 0.25,
        "lr": 3e-3,
    }
    params = Params.model_validate(
        {
            "seed": 5,
            "device": "cpu",
            "preprocess": {"out_dir": str(tiny_corpus), "crop_s": N_WINDOWS},
            "detector": {
                "out_dir": str(tmp_path / "latents"),
                "reports_dir": str(tmp_path / "reports"),
                "cnnblstm": fast,
            },
        }
    )
    report = run(params, "cnnblstm")
    out = tmp_path / "latents" / "cnnblstm"
    assert sorted(p.name for p in out.iterdir()) == [
        "history.json",
        "latents-test.parquet",
        "latents.parquet",
        "weights.pt",
    ]
    # The held-out test cohort's windows get latents too, and their own AUROC.
    test = pq.read_table(out / "latents-test.parquet")
    assert set(test.column("subject").to_pylist()) == {"t000"} and test.num_rows == N_WINDOWS
    assert report["test_n_crops"] == 1 and 0 <= report["test_auroc"] <= 1

    table = pq.read_table(out / "latents.parquet")
    assert table.schema.remove_metadata() == pa.schema(
        [
            ("crop_id", pa.string()),
            ("recording_id", pa.string()),
            ("subject", pa.string()),
            ("window_index", pa.int16()),
            ("start_s", pa.float64()),
            ("label", pa.int8()),
            ("is_pad", pa.bool_()),
            ("p_sz", pa.float32()),
            ("h", pa.list_(pa.float32(), 40)),
            ("h_pre", pa.list_(pa.float32(), 40)),
            ("h_random", pa.list_(pa.float32(), 40)),
        ]
    )
    assert table.num_rows == 3 * N_WINDOWS
    names = ["c000_s001_t000_c00", "c001_s001_t000_c00", "c001_s001_t000_c01"]
    assert table.column("crop_id").to_pylist() == [n for n in names for _ in range(N_WINDOWS)]
    assert table.column("window_index").to_pylist() == list(range(N_WINDOWS)) * 3
    assert table.column("is_pad").to_pylist()[-4:] == [True] * 4
    assert table.column("label").to_pylist()[:N_WINDOWS] == [0, 0] + [1] * 6 + [0] * 12

    meta = read_detector_metadata(out / "latents.parquet")
    assert meta == json.loads(table.schema.metadata[METADATA_KEY])
    assert meta["detector"] == "cnnblstm" and meta["latent_dim"] == 40 and meta["pre_dim"] == 40
    assert meta["auroc"] == pytest.approx(report["auroc"])
    weights_sha256 = hashlib.sha256((out / "weights.pt").read_bytes()).hexdigest()
    assert meta["weights_sha256"] == weights_sha256
    assert meta["source"] == "trained" and meta["checkpoint_sha256"] is None

    # weights.pt reloads strictly and reproduces p_sz and h_pre of the file; h_random
    # is the seeded random-init control, a different network.
    model = load_checkpoint("cnnblstm", out / "weights.pt", torch.device("cpu"))
    crop = next(iter(WindowFile(tiny_corpus / "windows-cv.parquet")))
    eeg = torch.from_numpy(crop.eeg[None].copy())
    frozen = freeze(model)(eeg)
    p_sz = torch.softmax(frozen.logits, -1)[0, :, 1].numpy()
    np.testing.assert_allclose(table.column("p_sz").to_numpy()[:N_WINDOWS], p_sz, atol=1e-6)
    first = table.slice(0, N_WINDOWS)
    np.testing.assert_allclose(_column(first, "h_pre"), frozen.pre[0].numpy(), atol=1e-5)
    control = random_detector("cnnblstm", 5, torch.device("cpu"))(eeg).latents[0].numpy()
    np.testing.assert_allclose(_column(first, "h_random"), control, atol=1e-5)
    assert not np.allclose(_column(first, "h_random"), _column(first, "h"), atol=1e-3)
    assert meta["random_seed"] is not None

    # The report: AUROC over the non-padding windows, counted as scikit-learn does.
    saved = json.loads((tmp_path / "reports" / "cnnblstm.json").read_text())
    assert saved == report
    keep = ~table.column("is_pad").to_numpy(zero_copy_only=False)
    expected = roc_auc_score(
        table.column("label").to_numpy()[keep], table.column("p_sz").to_numpy()[keep]
    )
    assert report["auroc"] == pytest.approx(expected)
    assert report["n_windows"] == 3 * N_WINDOWS - 4 and report["n_pad_windows"] == 4
    assert report["device"] == "cpu" and 1 <= report["epochs_run"] <= 3
    assert report["auroc"] > 0.9  # a 3 Hz rhythm of 4 x the noise is easy to find

    # The saved weights as a user checkpoint: no training, the same latents.
    with_checkpoint = params.model_copy(
        update={
            "detector": params.detector.model_copy(
                update={
                    "out_dir": tmp_path / "again",
                    "reports_dir": tmp_path / "again-reports",
                    "cnnblstm": params.detector.cnnblstm.model_copy(
                        update={"checkpoint": out / "weights.pt"}
                    ),
                }
            )
        }
    )
    again = run(with_checkpoint, "cnnblstm")
    assert again["source"] == "checkpoint" and again["epochs_run"] == 0
    reloaded = pq.read_table(tmp_path / "again" / "cnnblstm" / "latents.parquet")
    vectors = ["p_sz", "h", "h_pre", "h_random"]
    assert reloaded.select(vectors).equals(table.select(vectors))
    meta = read_detector_metadata(tmp_path / "again" / "cnnblstm" / "latents.parquet")
    assert meta["checkpoint_sha256"] == weights_sha256


def _column(table: pa.Table, name: str) -> np.ndarray:
    """A fixed-size list column as a (rows, size) array."""
    values = table.column(name).combine_chunks()
    return values.flatten().to_numpy().reshape(len(values), -1)


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_random_control_is_seeded_frozen_and_not_the_trained_model(tiny_corpus, name):
    cpu = torch.device("cpu")
    torch.manual_seed(11)
    state = torch.random.get_rng_state()
    control = random_detector(name, 5, cpu)
    # Forked RNG: building the control leaves the caller's stream where it was.
    assert torch.equal(torch.random.get_rng_state(), state)
    same, other = random_detector(name, 5, cpu), random_detector(name, 6, cpu)
    for key, value in control.state_dict().items():
        assert torch.equal(value, same.state_dict()[key]), key
    assert any(not torch.equal(v, other.state_dict()[k]) for k, v in control.state_dict().items())
    assert not control.training and not any(p.requires_grad for p in control.parameters())

    torch.manual_seed(3)
    model = freeze(DETECTORS[name]())
    windows = WindowFile(tiny_corpus / "windows-cv.parquet")
    outputs = list(run_frozen(model, windows, 2, cpu, control))
    again = list(run_frozen(model, windows, 2, cpu, random_detector(name, 5, cpu)))
    for out, rerun in zip(outputs, again, strict=True):
        n = len(out.crop.label)
        assert out.h.shape == out.h_random.shape == (n, LATENT_DIM[name])
        assert out.h_pre.shape == (n, PRE_DIM[name])
        assert np.array_equal(out.h_random, rerun.h_random)  # deterministic for a seed
        assert not np.allclose(out.h_random, out.h, atol=1e-3)
        assert np.count_nonzero(out.h_pre[out.crop.is_pad]) == 0
    # Without a control there is no h_random.
    assert next(run_frozen(model, windows, 2, cpu)).h_random is None


def test_device_choice():
    assert resolve_device("cpu") == torch.device("cpu")
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="no CUDA"):
            resolve_device("cuda")
    with pytest.raises(ValueError, match="expected"):
        resolve_device("tpu")


def test_detector_params_reject_unknown_keys_and_devices():
    with pytest.raises(ValueError, match="epoch"):
        Params.model_validate({"detector": {"deepsoz": {"epoch": 3}}})
    with pytest.raises(ValueError, match="device"):
        Params.model_validate({"device": "gpu"})

"""The typed params loader: defaults, validation errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from pipeline.config import MODELS_DIR, DetectorParams, LLMParams, load_params, n_workers
from pipeline.registry import DETECTOR_NAMES
from tests.helpers import REPO


def _write(tmp_path: Path, raw: dict) -> Path:
    path = tmp_path / "params.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def test_repository_params_load_and_point_data_root_at_the_synthetic_corpus():
    params = load_params(REPO / "params.yaml")
    assert params.data.root == params.synth.corpus_dir
    assert params.synth.truth_path.parent == params.synth.out_dir


def test_misspelt_key_is_rejected_with_its_path(tmp_path):
    with pytest.raises(ValueError, match="clip_sdt"):
        load_params(_write(tmp_path, {"preprocess": {"clip_sdt": 3}}))


def test_band_above_nyquist_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="sfreq/2"):
        load_params(_write(tmp_path, {"preprocess": {"h_freq": 120.0}}))


def test_synthetic_source_with_a_foreign_root_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="synth.out_dir/corpus"):
        load_params(_write(tmp_path, {"data": {"root": "/data/tusz"}}))


def test_tusz_source_accepts_any_root(tmp_path):
    params = load_params(_write(tmp_path, {"data": {"source": "tusz", "root": "/data/tusz"}}))
    assert params.data.root == Path("/data/tusz")


def test_fold_ids_must_be_consecutive_from_zero(tmp_path):
    with pytest.raises(ValueError, match="folds.ids"):
        load_params(_write(tmp_path, {"folds": {"ids": [0, 2, 3]}}))
    assert load_params(_write(tmp_path, {"folds": {"ids": [0, 1, 2]}})).folds.n_folds == 3


def test_unknown_method_and_out_of_range_figure_fold_are_rejected(tmp_path):
    with pytest.raises(ValueError, match="methods"):
        load_params(_write(tmp_path, {"train": {"methods": ["szxai", "bogus"]}}))
    with pytest.raises(ValueError, match="figure_fold"):
        load_params(_write(tmp_path, {"folds": {"ids": [0, 1]}, "evaluate": {"figure_fold": 2}}))


def test_training_hyperparameters_are_top_level_keys():
    raw = yaml.safe_load((REPO / "params.yaml").read_text())
    for key in ("lambda1", "lambda2", "lr", "epochs", "patience", "batch_crops", "device"):
        assert key in raw, key


def test_a_window_shape_the_detectors_cannot_take_fails_at_load(tmp_path):
    with pytest.raises(ValueError, match=r"19 channels x 256 samples.*take 19 x 200"):
        load_params(_write(tmp_path, {"preprocess": {"sfreq": 256}}))
    with pytest.raises(ValueError, match="2 channels x 200 samples"):
        load_params(_write(tmp_path, {"preprocess": {"channels": ["FP1", "FP2"]}}))


@pytest.mark.parametrize(
    "key",
    ["detector.deepsoz.checkpoint", "detector.cnnblstm.checkpoint", "llm.model_path",
     "embeddings.model_path"],
)  # fmt: skip
def test_a_missing_model_file_fails_at_load_naming_its_key(tmp_path, monkeypatch, key):
    monkeypatch.chdir(tmp_path)
    section, *inner, leaf = key.split(".")
    raw: dict = {}
    node = raw.setdefault(section, {})
    for name in inner:
        node = node.setdefault(name, {})
    node[leaf] = str(MODELS_DIR / "absent.bin")
    with pytest.raises(ValueError, match=rf"{key}: (file|folder) not found: models/absent.bin"):
        load_params(_write(tmp_path, raw))


def test_model_files_must_lie_under_the_models_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    outside = tmp_path / "llama.gguf"
    outside.write_bytes(b"GGUF")
    with pytest.raises(ValueError, match=r"llm.model_path: .* is outside models/"):
        load_params(_write(tmp_path, {"llm": {"model_path": str(outside)}}))
    (tmp_path / MODELS_DIR).mkdir()
    (tmp_path / MODELS_DIR / "llama.gguf").symlink_to(outside)
    params = load_params(_write(tmp_path, {"llm": {"model_path": "models/llama.gguf"}}))
    assert params.model_files() == {"llm.model_path": (Path("models/llama.gguf"), "file")}


def test_every_registry_detector_has_a_params_section_and_nothing_else():
    assert set(DetectorParams.model_fields) - {"out_dir", "reports_dir"} == set(DETECTOR_NAMES)
    assert DetectorParams().section(DETECTOR_NAMES[1]) is not None
    with pytest.raises(ValueError, match="unknown detector"):
        DetectorParams().section("eegnet")


def test_openai_backend_needs_a_server_and_a_model():
    with pytest.raises(ValidationError, match="base_url and llm.model"):
        LLMParams(backend="openai", model="x")
    assert LLMParams(backend="openai", base_url="http://127.0.0.1:8000/v1", model="m").model == "m"


def test_n_workers_reads_zero_as_every_core_and_never_exceeds_the_tasks(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert n_workers(0, 10) == 4
    assert n_workers(0, 3) == 3
    assert n_workers(2, 10) == 2
    assert n_workers(8, 0) == 1

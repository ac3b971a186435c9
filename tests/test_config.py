"""The typed params loader: defaults, validation errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipeline.config import load_params

REPO = Path(__file__).resolve().parents[1]


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

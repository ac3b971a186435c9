"""Hand-made per-window EEG features and the ``features`` stage (spec section 11)."""

from __future__ import annotations

import numpy as np
import pyarrow.parquet as pq
import pytest
from scipy.signal import periodogram
from scipy.stats import kurtosis, skew

from pipeline.config import FeaturesParams, Params, PreprocessParams
from pipeline.io.windows import window_schema
from pipeline.preprocessing.features import extract_features, read_feature_names
from pipeline.preprocessing.preprocess import Crop, Recording, crop_table
from pipeline.signal.features import (
    SPATIAL_SUMMARIES,
    band_powers,
    feature_kinds,
    feature_names,
    window_features,
)

SFREQ = 200.0
BANDS = FeaturesParams().bands
KINDS = feature_kinds(BANDS)
T = np.arange(200) / SFREQ


def _by_kind(features: np.ndarray, n_channels: int) -> dict[str, np.ndarray]:
    """(n, n_kinds * (n_channels + 2)) -> kind -> (n, n_channels); summaries ``<kind>:<name>``."""
    m = n_channels + len(SPATIAL_SUMMARIES)
    shaped = features.reshape(len(features), len(KINDS), m)
    out = {kind: shaped[:, k, :n_channels] for k, kind in enumerate(KINDS)}
    for j, name in enumerate(SPATIAL_SUMMARIES):
        out |= {f"{kind}:{name}": shaped[:, k, n_channels + j] for k, kind in enumerate(KINDS)}
    return out


def _sine(freq: float, amplitude: float = 1.0) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * freq * T)


def test_a_6_hz_sine_has_theta_largest_and_peaks_at_6_hz():
    rng = np.random.default_rng(0)
    eeg = (_sine(6.0) + 0.05 * rng.standard_normal((3, 19, 200))).astype(np.float32)
    out = window_features(eeg, SFREQ, BANDS)
    assert out.dtype == np.float32 and out.shape == (3, len(KINDS) * (19 + 2))
    kinds = _by_kind(out, 19)
    powers = np.stack([kinds[f"logpow_{b}"] for b in BANDS], axis=-1)
    assert (powers.argmax(axis=-1) == list(BANDS).index("theta")).all()
    np.testing.assert_allclose(kinds["peak_freq"], 6.0)
    np.testing.assert_allclose(kinds["kurtosis"], -1.5, atol=0.05)
    np.testing.assert_allclose(kinds["peak_to_peak"], 2.0, atol=0.35)  # 2 + noise extremes
    # Without the (white, unfiltered) noise: Hjorth complexity 1, mobility 2 pi f / fs.
    pure = _by_kind(window_features(_sine(6.0)[None, None], SFREQ, BANDS), 1)
    assert pure["complexity"][0, 0] == pytest.approx(1.0, abs=0.01)
    assert pure["mobility"][0, 0] == pytest.approx(2 * np.pi * 6 / SFREQ, rel=0.01)


@pytest.mark.parametrize(("freq", "band"), [(2.5, "delta"), (10.0, "alpha"), (20.0, "beta")])
def test_each_band_wins_for_its_own_sine(freq, band):
    kinds = _by_kind(window_features(_sine(freq)[None, None], SFREQ, BANDS), 1)
    powers = [kinds[f"logpow_{b}"][0, 0] for b in BANDS]
    assert list(BANDS)[int(np.argmax(powers))] == band
    assert kinds["peak_freq"][0, 0] == pytest.approx(freq, abs=1.0)


def test_a_spike_train_has_high_line_length_and_kurtosis():
    rng = np.random.default_rng(1)
    background = 0.3 * rng.standard_normal((1, 1, 200))
    spikes = background.copy()
    spikes[..., ::40] += 4.0  # five sharp one-sample spikes per second
    sine = _sine(6.0, amplitude=np.std(spikes) * np.sqrt(2))[None, None]  # same rms
    feats = {name: _by_kind(window_features(x, SFREQ, BANDS), 1) for name, x in
             (("spikes", spikes), ("sine", sine), ("noise", background))}  # fmt: skip
    assert feats["spikes"]["kurtosis"][0, 0] > 5 > feats["noise"]["kurtosis"][0, 0]
    assert feats["spikes"]["line_length"][0, 0] > 3 * feats["sine"]["line_length"][0, 0]
    assert feats["spikes"]["skewness"][0, 0] > 1  # positive spikes
    # The moments agree with scipy's (population) definitions.
    assert feats["spikes"]["kurtosis"][0, 0] == pytest.approx(kurtosis(spikes[0, 0]), rel=1e-4)
    assert feats["spikes"]["skewness"][0, 0] == pytest.approx(skew(spikes[0, 0]), rel=1e-4)


def test_band_power_integrates_scipys_hann_periodogram():
    rng = np.random.default_rng(2)
    eeg = rng.standard_normal((4, 3, 200))
    power, psd, freqs = band_powers(eeg, SFREQ, BANDS)
    ref_freqs, ref_psd = periodogram(eeg, SFREQ, window="hann", detrend="constant", axis=-1)
    np.testing.assert_allclose(freqs, ref_freqs)
    np.testing.assert_allclose(psd, ref_psd, rtol=1e-10)
    theta = (ref_freqs >= 4) & (ref_freqs < 8)
    np.testing.assert_allclose(power[..., 1], ref_psd[..., theta].sum(-1) * (SFREQ / 200))


def test_flat_and_padding_windows_give_finite_features():
    out = window_features(np.zeros((2, 19, 200), np.float32), SFREQ, BANDS)
    assert np.isfinite(out).all()
    kinds = _by_kind(out, 19)
    assert (kinds["kurtosis"] == 0).all() and (kinds["mobility"] == 0).all()
    assert (kinds["logpow_theta"] == -12).all()


def test_spatial_summaries_see_a_focal_pattern_wherever_it_lies():
    rng = np.random.default_rng(1)
    background = 0.3 * rng.standard_normal((2, 19, 200))
    left, right = background.copy(), background.copy()
    left[:, 3] += _sine(20.0, 2.0)  # fast activity at one electrode, another in each case
    right[:, 15] += _sine(20.0, 2.0)
    a, b = (
        _by_kind(window_features(x.astype(np.float32), SFREQ, BANDS), 19) for x in (left, right)
    )
    np.testing.assert_allclose(a["logpow_beta:max"], a["logpow_beta"].max(axis=1), rtol=1e-6)
    np.testing.assert_allclose(a["logpow_beta:median"], np.median(a["logpow_beta"], axis=1),
                               rtol=1e-6)  # fmt: skip
    assert not np.allclose(a["logpow_beta"], b["logpow_beta"])  # per channel: another place
    np.testing.assert_allclose(a["logpow_beta:max"], b["logpow_beta:max"], atol=0.05)
    assert (a["logpow_beta:max"] > a["logpow_beta:median"] + 1).all()


def test_feature_names_are_kind_major():
    names = feature_names(BANDS, ["FP1", "FP2"])
    assert names[:5] == [
        "logpow_delta:FP1", "logpow_delta:FP2", "logpow_delta:max", "logpow_delta:median",
        "logpow_theta:FP1",
    ]  # fmt: skip
    assert len(names) == (2 + 2) * (len(BANDS) + 7)
    with pytest.raises(ValueError, match="Nyquist"):
        Params.model_validate({"features": {"bands": {"gamma": [30, 120]}}})
    with pytest.raises(ValueError, match="low < high"):
        FeaturesParams(bands={"theta": (8.0, 4.0)})


def test_stage_writes_one_row_per_window_in_file_order(tmp_path):
    rng = np.random.default_rng(3)
    params = PreprocessParams(crop_s=10)
    schema = window_schema(params)
    crops = []
    with pq.ParquetWriter(tmp_path / "windows-cv.parquet", schema) as writer:
        for i, freq in enumerate((6.0, 11.0)):
            windows = (_sine(freq) + 0.1 * rng.standard_normal((10, 19, 200))).astype(np.float32)
            is_pad = np.arange(10) >= 8 - i
            windows[is_pad] = 0
            rec = Recording(f"s{i}_s001_t000", f"s{i}", "cv", "", 10.0, ())
            crop = Crop(rec, 0, "background", 0, windows, np.zeros(10, np.int8), is_pad)
            crops.append(crop)
            writer.write_table(crop_table(crop, schema, params.window_s))
    out = tmp_path / "features" / "windows-cv.parquet"
    run = extract_features(tmp_path / "windows-cv.parquet", out, FeaturesParams(), params)
    assert (run.n_crops, run.n_windows, run.n_features) == (
        2,
        20,
        (19 + len(SPATIAL_SUMMARIES)) * len(KINDS),
    )
    table = pq.read_table(out)
    assert table.column_names == ["crop_id", "window_index", "is_pad", "f"]
    assert (
        table.column("crop_id").to_pylist() == ["s0_s001_t000_c00"] * 10 + ["s1_s001_t000_c00"] * 10
    )
    assert table.column("is_pad").to_pylist() == [c.is_pad[t] for c in crops for t in range(10)]
    f = table.column("f").combine_chunks().flatten().to_numpy().reshape(20, -1)
    np.testing.assert_array_equal(f[10:], window_features(crops[1].windows, SFREQ, BANDS))
    peak = f[:, KINDS.index("peak_freq") * (19 + len(SPATIAL_SUMMARIES))]  # FP1
    assert peak[:8].tolist() == [6.0] * 8 and peak[10:17].tolist() == [11.0] * 7
    assert read_feature_names(out)[0] == "logpow_delta:FP1"
    assert not list(tmp_path.rglob("*.tmp"))

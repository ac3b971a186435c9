"""Band-pass, resampling and standardisation (spec section 4)."""

import numpy as np
import pytest
from scipy import signal

from pipeline.signal.filters import (
    _moments,
    _zero_phase_response,
    bandpass,
    clip_and_standardize,
    resample,
    resample_bandpass,
)

SFREQ = 200.0


def sine(freq: float, seconds: float = 60.0, sfreq: float = SFREQ, amplitude: float = 50.0):
    t = np.arange(int(seconds * sfreq)) / sfreq
    return amplitude * np.sin(2 * np.pi * freq * t)[None, :]


def steady_amplitude(x: np.ndarray, sfreq: float = SFREQ) -> float:
    """Peak amplitude away from the edges, where filter transients live."""
    edge = int(10 * sfreq)
    return float(np.abs(x[..., edge:-edge]).max())


@pytest.mark.parametrize("freq", [8.0, 10.0, 12.5, 17.0])
def test_bandpass_keeps_pass_band_within_one_percent(freq):
    out = bandpass(sine(freq), SFREQ, 1.6, 30.0, order=4)
    assert steady_amplitude(out) == pytest.approx(50.0, rel=0.01)


@pytest.mark.parametrize("freq", [1.0, 50.0])
def test_bandpass_removes_out_of_band_sines(freq):
    # 50 Hz is the mains frequency and 1 Hz the slow drift the band cuts.
    sfreq = 250.0 if freq == 50.0 else SFREQ
    out = bandpass(sine(freq, sfreq=sfreq), sfreq, 1.6, 30.0, order=4)
    assert steady_amplitude(out, sfreq) < 0.1 * 50.0


def test_bandpass_is_zero_phase():
    x = sine(10.0)
    out = bandpass(x, SFREQ, 1.6, 30.0)
    middle = slice(2000, 10000)
    lag = np.argmax(np.correlate(out[0, middle], x[0, middle], mode="full")) - (8000 - 1)
    assert lag == 0


def test_resample_256_to_200_keeps_frequency_and_length():
    x = sine(10.0, seconds=30.0, sfreq=256.0)
    out = resample(x, 256.0, 200.0)
    assert out.shape == (1, 6000)
    spectrum = np.abs(np.fft.rfft(out[0]))
    assert np.fft.rfftfreq(6000, 1 / 200.0)[spectrum.argmax()] == pytest.approx(10.0, abs=0.05)


def test_clip_and_standardize_bounds_and_flat_channel():
    rng = np.random.default_rng(0)
    data = np.vstack([rng.normal(5.0, 3.0, 100_000), np.zeros(100_000), np.full(100_000, 7.3)])
    out = clip_and_standardize(data, clip_std=2.0)
    assert out[0].mean() == pytest.approx(0.0, abs=1e-9)
    assert out[0].std() == pytest.approx(1.0, rel=1e-9)
    # Gaussian samples beyond +2 std (2.28 %) all sit on the clipping bound.
    at_top = np.isclose(out[0], out[0].max()).mean()
    assert at_top == pytest.approx(0.0228, abs=0.002)
    np.testing.assert_array_equal(out[1:], 0.0)


@pytest.mark.parametrize("freq", [8.0, 10.0, 12.5, 17.0])
def test_resample_bandpass_keeps_pass_band_within_one_percent(freq):
    out = resample_bandpass(sine(freq, sfreq=250.0), 250.0, SFREQ, 1.6, 30.0, order=4)
    assert steady_amplitude(out) == pytest.approx(50.0, rel=0.01)


@pytest.mark.parametrize("freq", [1.0, 50.0])
def test_resample_bandpass_removes_out_of_band_sines(freq):
    out = resample_bandpass(sine(freq, sfreq=250.0), 250.0, SFREQ, 1.6, 30.0, order=4)
    assert steady_amplitude(out) < 0.1 * 50.0


@pytest.mark.parametrize(
    ("sfreq", "n_samples"), [(250.0, 75_001), (256.0, 76_800), (200.0, 60_000)]
)
def test_resample_bandpass_matches_polyphase_then_filtfilt(sfreq, n_samples):
    """The one-pass FFT path equals the two-step reference away from the ends."""
    rng = np.random.default_rng(1)
    # Brown plus white noise: power at every frequency, drift included.
    x = np.cumsum(rng.standard_normal((3, n_samples)), axis=-1) + 20 * rng.standard_normal(
        (3, n_samples)
    )
    reference = bandpass(resample(x, sfreq, SFREQ), SFREQ, 1.6, 30.0, order=4)
    out = resample_bandpass(x.astype(np.float32), sfreq, SFREQ, 1.6, 30.0, order=4)
    assert out.shape == reference.shape
    assert out.dtype == np.float32
    inner = slice(2000, -2000)
    error = np.sqrt(np.mean((out[:, inner] - reference[:, inner]) ** 2))
    assert error < 2e-3 * np.sqrt(np.mean(reference[:, inner] ** 2))


def test_resample_bandpass_refuses_to_upsample():
    with pytest.raises(ValueError, match="upsample"):
        resample_bandpass(sine(10.0, sfreq=100.0), 100.0, SFREQ, 1.6, 30.0)


@pytest.mark.parametrize("order", [2, 4])
def test_zero_phase_response_matches_sosfreqz(order):
    # The closed form against scipy's evaluation of the designed filter, DC to Nyquist.
    sfreq, n_bins = 200.0, 1001
    df = sfreq / 2 / (n_bins - 1)
    sos = signal.butter(order, [1.6, 30.0], btype="bandpass", fs=sfreq, output="sos")
    _, response = signal.sosfreqz(sos, worN=np.arange(n_bins) * df, fs=sfreq)
    closed = _zero_phase_response(1.6, 30.0, sfreq, order, n_bins, df)
    np.testing.assert_allclose(closed, np.abs(response) ** 2, rtol=1e-6, atol=1e-12)


def test_moments_of_long_float32_recording_match_float64():
    # Two hours at 200 Hz, with an offset: the float32 sums must not drift.
    rng = np.random.default_rng(1)
    data = (rng.normal(0.0, 40.0, (2, 2 * 3600 * 200)) + [[3.0], [-250.0]]).astype(np.float32)
    mean, std = _moments(data)
    exact = data.astype(np.float64)
    np.testing.assert_allclose(mean[:, 0], exact.mean(axis=1), rtol=0, atol=1e-6 * 40.0)
    np.testing.assert_allclose(std[:, 0], exact.std(axis=1), rtol=1e-6)

"""Waveforms of the synthetic EEG patterns (spec section 10, "Signatures").

Every function returns a single time course, shape ``(n,)``, for ``n`` samples at
``sfreq`` Hz; the caller (:mod:`pipeline.synth.signals`) places it in time,
gives it a spatial field (:mod:`pipeline.synth.scalp`) and an amplitude in µV.
Seizure courses are returned at unit rms; event trains (spikes, discharges) at
unit *peak*, because a discharge's clinical size is its peak, not its rms.

Frequencies and widths come in as arguments: they are the patient's stable
traits (:class:`pipeline.synth.signals.Traits`), jittered per seizure by the
caller. Every pattern lies inside the 1.6-30 Hz band the detectors see, except
:func:`hfo_bursts` (80-120 Hz), the negative control preprocessing removes.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import signal as sps

# --------------------------------------------------------------------------- building blocks


def unit_rms(x: np.ndarray) -> np.ndarray:
    """``x`` scaled to unit rms over its last axis (all-zero rows stay zero)."""
    rms = np.sqrt(np.mean(x**2, axis=-1, keepdims=True))
    return x / np.where(rms > 0, rms, 1.0)


def bandpassed_noise(
    rng: np.random.Generator, n: int, sfreq: float, low: float, high: float, size: int = 1
) -> np.ndarray:
    """Unit-rms Gaussian noise limited to [low, high] Hz, shape (size, n).

    A brick-wall mask in the frequency domain: exact, zero-phase, and cheaper
    than an IIR filter on long recordings.
    """
    spec = np.fft.rfft(rng.standard_normal((size, n)), axis=-1)
    freqs = np.fft.rfftfreq(n, 1.0 / sfreq)
    spec[:, (freqs < low) | (freqs > high)] = 0.0
    return unit_rms(np.fft.irfft(spec, n=n, axis=-1))


def envelope(n: int, sfreq: float, ramp_s: float = 0.05) -> np.ndarray:
    """1 inside, raised-cosine ramps of ``ramp_s`` at both ends, shape (n,)."""
    ramp = min(int(ramp_s * sfreq), n // 2)
    env = np.ones(n)
    if ramp > 0:
        r = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        env[:ramp] = r
        env[n - ramp :] = r[::-1]
    return env


def spike_template(sfreq: float, width_s: float) -> np.ndarray:
    """Surface-negative biphasic spike of ``width_s`` seconds, peak -1, shape (k,)."""
    t = np.arange(int(2 * width_s * sfreq) + 1) / sfreq - width_s
    sigma = width_s / 4
    return -np.exp(-0.5 * (t / sigma) ** 2) + 0.3 * np.exp(-0.5 * ((t - 2 * sigma) / sigma) ** 2)


def slow_wave_template(sfreq: float, duration_s: float) -> np.ndarray:
    """Positive half-sine of ``duration_s`` seconds, peak 1, shape (k,)."""
    t = np.arange(max(int(duration_s * sfreq), 2)) / sfreq
    return np.sin(np.pi * t / duration_s)


def sharp_template(sfreq: float, duration_s: float) -> np.ndarray:
    """Sharp wave: asymmetric triangle (fast rise, slow fall), peak -1, shape (k,)."""
    k = max(int(duration_s * sfreq), 3)
    rise = max(int(k * 0.35), 1)
    shape = np.concatenate([np.linspace(0, 1, rise, endpoint=False), np.linspace(1, 0, k - rise)])
    return -shape


def discharge_template(sfreq: float, sharp_s: float, slow_s: float, slow_gain: float) -> np.ndarray:
    """A sharp transient followed by an after-going slow wave, peak -1, shape (k,)."""
    return np.concatenate(
        [sharp_template(sfreq, sharp_s), slow_gain * slow_wave_template(sfreq, slow_s)]
    )


def place(n: int, onsets: np.ndarray, template: np.ndarray, gains: np.ndarray | None = None):
    """Copies of ``template`` starting at sample ``onsets`` (scaled by ``gains``), shape (n,)."""
    impulses = np.zeros(n)
    onsets = onsets[(onsets >= 0) & (onsets < n)]
    np.add.at(impulses, onsets, 1.0 if gains is None else gains[: len(onsets)])
    return sps.fftconvolve(impulses, template, mode="full")[:n]


def sweep_onsets(
    rng: np.random.Generator, n: int, sfreq: float, f_start: float, f_end: float, jitter: float
) -> np.ndarray:
    """Sample indices of quasi-periodic events whose rate sweeps linearly f_start -> f_end Hz.

    Event k sits where the integrated rate reaches k (plus a random phase), moved
    by ``jitter`` of the local period.
    """
    t = np.arange(n) / sfreq
    rate = f_start + (f_end - f_start) * t / max(t[-1], 1e-9) if n > 1 else np.full(n, f_start)
    phase = np.cumsum(rate) / sfreq + rng.uniform(0, 1)
    idx = np.flatnonzero(np.diff(np.floor(phase)) > 0) + 1
    period = sfreq / np.maximum(rate[idx], 1e-3)
    return (idx + jitter * period * rng.uniform(-1, 1, len(idx))).astype(int)


def poisson_onsets(rng: np.random.Generator, n: int, sfreq: float, rate_hz: float) -> np.ndarray:
    """Sorted sample indices of Poisson events at ``rate_hz``."""
    return np.sort(rng.integers(0, max(n, 1), size=rng.poisson(rate_hz * n / sfreq)))


def runs(
    rng: np.random.Generator,
    n: int,
    sfreq: float,
    rate_hz: float,
    duration_s: tuple[float, float],
    make: Callable[[int], np.ndarray],
) -> np.ndarray:
    """Sum of runs ``make(length)`` (shape (length,)) at Poisson onsets, shape (n,)."""
    out = np.zeros(n)
    for start in poisson_onsets(rng, n, sfreq, rate_hz):
        length = max(int(rng.uniform(*duration_s) * sfreq), 2)
        seg = make(length)[: n - start]
        out[start : start + len(seg)] += seg
    return out


def chirp(n: int, sfreq: float, f_start: float, f_end: float, phase: float = 0.0) -> np.ndarray:
    """Phase of a linear frequency sweep f_start -> f_end Hz (radians), shape (n,)."""
    freq = np.linspace(f_start, f_end, n) if n > 1 else np.full(n, f_start)
    return 2 * np.pi * np.cumsum(freq) / sfreq + phase


# --------------------------------------------------------------------------- seizure courses


def spike_and_wave(rng, n, sfreq, freq: float, spike_s: float, wave_s: float) -> np.ndarray:
    """Generalized spike-and-slow-wave complexes at ``freq`` Hz slowing by 15 %, unit rms.

    ``spike_s`` 30-50 ms, ``wave_s`` 150-300 ms (spec 10).
    """
    complex_ = np.concatenate(
        [spike_template(sfreq, spike_s / 2), 0.8 * slow_wave_template(sfreq, wave_s)]
    )
    onsets = sweep_onsets(rng, n, sfreq, freq, 0.85 * freq, 0.03)
    return unit_rms(place(n, onsets, complex_))


def rhythmic(rng, n, sfreq, f_start: float, slope: float) -> np.ndarray:
    """Monomorphic rhythm sweeping ``f_start`` -> ``f_start * slope`` Hz, unit rms.

    A small second harmonic makes the waves slightly sharp, as ictal rhythms are.
    """
    phase = chirp(n, sfreq, f_start, f_start * slope, rng.uniform(0, 2 * np.pi))
    return unit_rms(np.sin(phase) + 0.25 * np.sin(2 * phase + 0.5))


def fast(rng, n, sfreq, freq: float) -> np.ndarray:
    """Low-voltage fast activity: narrow-band noise around ``freq`` (15-28 Hz), unit rms."""
    return bandpassed_noise(rng, n, sfreq, freq - 1.5, min(freq + 1.5, 29.5))[0]


def polyspike(rng, n, sfreq, spike_rate: float, n_spikes: int) -> np.ndarray:
    """Bursts of ``n_spikes`` spikes at ``spike_rate`` Hz; burst rate falls 4 -> 1 Hz; unit rms."""
    burst = np.zeros(int(n_spikes * sfreq / spike_rate) + int(0.05 * sfreq) + 1)
    spike = spike_template(sfreq, 0.02)
    for k in range(n_spikes):
        at = int(k * sfreq / spike_rate)
        burst[at : at + len(spike)] += spike
    return unit_rms(place(n, sweep_onsets(rng, n, sfreq, 4.0, 1.0, 0.1), burst))


def sharp_waves(rng, n, sfreq, rate: float, width_s: float) -> np.ndarray:
    """Sharp waves of ``width_s`` (120-200 ms) at ``rate`` (>= 2.5 Hz), unit rms."""
    onsets = sweep_onsets(rng, n, sfreq, rate, 0.9 * rate, 0.15)
    gains = 1 + 0.2 * rng.uniform(-1, 1, len(onsets))
    return unit_rms(place(n, onsets, sharp_template(sfreq, width_s), gains))


def spikes(rng, n, sfreq, rate: float, width_s: float) -> np.ndarray:
    """Spikes of ``width_s`` (25-40 ms) at ``rate`` (2.5-5 Hz), unit rms."""
    onsets = sweep_onsets(rng, n, sfreq, rate, 0.9 * rate, 0.15)
    gains = 1 + 0.2 * rng.uniform(-1, 1, len(onsets))
    return unit_rms(place(n, onsets, spike_template(sfreq, width_s), gains))


def burst_gate(rng, n, sfreq, burst_s: tuple[float, float], gap_s: tuple[float, float]):
    """Burst-suppression gate: 1 in bursts, 0 in suppressions, smooth edges, shape (n,)."""
    gate = np.zeros(n)
    t = int(rng.uniform(0, 0.5) * sfreq)
    while t < n:
        length = min(int(rng.uniform(*burst_s) * sfreq), n - t)
        gate[t : t + length] = envelope(length, sfreq, 0.1)
        t += length + int(rng.uniform(*gap_s) * sfreq)
    return gate


def epileptiform_burst(rng, n, sfreq) -> np.ndarray:
    """The content of one burst: irregular sharp waves and spikes on 2-6 Hz delta-theta."""
    base = bandpassed_noise(rng, n, sfreq, 2.0, 6.0)[0]
    sharp = place(n, poisson_onsets(rng, n, sfreq, 3.0), sharp_template(sfreq, 0.15))
    spk = place(n, poisson_onsets(rng, n, sfreq, 2.0), spike_template(sfreq, 0.02))
    return base + 2.0 * sharp + 2.0 * spk


def paroxysmal_envelope(rng, n, sfreq, active_s=(1.0, 4.0), gap_s=(0.3, 1.5)) -> np.ndarray:
    """Paroxysms: activity switched on within 0.1-0.3 s for 1-4 s, low (0.15) in between."""
    env = np.full(n, 0.15)
    t = 0
    while t < n:
        length = min(int(rng.uniform(*active_s) * sfreq), n - t)
        env[t : t + length] = np.maximum(
            env[t : t + length], envelope(length, sfreq, rng.uniform(0.1, 0.3))
        )
        t += length + int(rng.uniform(*gap_s) * sfreq)
    return env


def ramp_envelope(n: int, sfreq: float, rise_s: float, fall_s: float = 1.5) -> np.ndarray:
    """Gradual ictal onset over ``rise_s`` (3-10 s) and offset over ``fall_s``, shape (n,)."""
    t = np.arange(n) / sfreq
    return np.clip(t / rise_s, 0.05, 1) * np.clip((n / sfreq - t) / fall_s, 0, 1)


def generic_discharge(rng, n, sfreq) -> np.ndarray:
    """The v1 corpus's shared ictal discharge (5-8 -> 2.5-4 Hz, harmonic), unit rms.

    Only mixed in with ``synth.generic_share`` > 0, to reproduce v1-like corpora.
    """
    phase = chirp(n, sfreq, rng.uniform(5.0, 8.0), rng.uniform(2.5, 4.0))
    return unit_rms(np.sin(phase) + 0.45 * np.sin(2 * phase + 0.6))


def hfo_bursts(rng, n, sfreq, rate: float) -> np.ndarray:
    """80-120 Hz bursts of 30-100 ms at ``rate`` per second, peak ~1, shape (n,).

    Lies above the 30 Hz low-pass: preprocessing removes it (the negative control).
    """
    top = min(120.0, 0.45 * sfreq)
    low = min(80.0, 0.7 * top)

    def burst(length: int) -> np.ndarray:
        t = np.arange(length) / sfreq
        return np.sin(2 * np.pi * rng.uniform(low, top) * t) * np.hanning(length)

    return runs(rng, n, sfreq, rate, (0.03, 0.1), burst)


# --------------------------------------------------------------------------- outside seizures


def discharges(rng, n, sfreq, rate_hz: float, sharp_s: float, slow_s: float) -> np.ndarray:
    """Sporadic sharp-and-slow-wave discharges at Poisson times, peak ~1, shape (n,)."""
    onsets = poisson_onsets(rng, n, sfreq, rate_hz)
    gains = 1 + 0.2 * rng.uniform(-1, 1, len(onsets))
    return place(n, onsets, discharge_template(sfreq, sharp_s, slow_s, 0.5), gains)


def periodic_discharges(rng, n, sfreq, rate_hz: float) -> np.ndarray:
    """PLEDs: sharp discharges at a stable ``rate_hz`` (0.5-2 Hz, 5 % jitter), peak ~1."""
    onsets = sweep_onsets(rng, n, sfreq, rate_hz, rate_hz, 0.05)
    return place(n, onsets, discharge_template(sfreq, 0.12, 0.25, 0.4))


def birds(rng, n, sfreq, rate_hz: float) -> np.ndarray:
    """Brief rhythmic runs (0.5-9 s) of 4-12 Hz whose frequency evolves, unit amplitude."""

    def run(length: int) -> np.ndarray:
        f0 = rng.uniform(4.0, 8.0)
        f1 = f0 * rng.uniform(1.3, 1.6) if rng.random() < 0.5 else f0 / rng.uniform(1.3, 1.6)
        return np.sin(chirp(length, sfreq, f0, min(f1, 12.0))) * envelope(length, sfreq, 0.3)

    return runs(rng, n, sfreq, rate_hz, (0.5, 9.0), run)


def polymorphic_delta(rng, n, sfreq, rate_hz: float) -> np.ndarray:
    """Intermittent runs (2-8 s) of irregular 1.6-3.5 Hz delta, unit rms inside runs."""
    gate = runs(rng, n, sfreq, rate_hz, (2.0, 8.0), lambda k: envelope(k, sfreq, 0.5))
    return bandpassed_noise(rng, n, sfreq, 1.6, 3.5)[0] * np.minimum(gate, 1.0)


def postictal_course(
    rng, n, sfreq, suppression_s: float, decay_s: float
) -> tuple[np.ndarray, np.ndarray]:
    """Postictal delta (1.6-3 Hz) decaying over ``decay_s`` after ``suppression_s`` of suppression.

    Returns ``(delta, background_gain)``, shape (n,) each: the delta course
    (unit rms at its start) and the factor applied to the background (0.15 in
    the suppression, recovering with the delta's decay).
    """
    t = np.arange(n) / sfreq
    after = np.clip(t - suppression_s, 0, None)
    decay = np.exp(-after / (decay_s / 3.0)) * (t >= suppression_s)
    delta = bandpassed_noise(rng, n, sfreq, 1.6, 3.0)[0] * decay
    gain = np.where(t < suppression_s, 0.15, 1.0 - 0.5 * decay)
    return delta, gain


def alpha_rhythm(rng, n, sfreq, peak_hz: float) -> np.ndarray:
    """Posterior dominant rhythm around ``peak_hz`` (8-12 Hz), waxing and waning, unit rms."""
    alpha = bandpassed_noise(rng, n, sfreq, peak_hz - 0.6, peak_hz + 0.6)[0]
    wax = 0.6 + 0.4 * bandpassed_noise(rng, n, sfreq, 0.05, 0.3)[0].clip(-1.5, 1.5)
    return unit_rms(alpha * wax)


def blinks(rng, n, sfreq, rate_hz: float) -> np.ndarray:
    """Eye blinks: 200-400 ms positive deflections at Poisson times, peak ~1."""
    return place(
        n, poisson_onsets(rng, n, sfreq, rate_hz), slow_wave_template(sfreq, rng.uniform(0.2, 0.4))
    )


def muscle(rng, n, sfreq, rate_hz: float) -> np.ndarray:
    """EMG bursts (0.5-2 s of 20-30 Hz noise), unit rms inside bursts."""

    def burst(length: int) -> np.ndarray:
        return bandpassed_noise(rng, length, sfreq, 20.0, 29.5)[0] * envelope(length, sfreq, 0.1)

    return runs(rng, n, sfreq, rate_hz, (0.5, 2.0), burst)


def electrode_pops(rng, n, sfreq, rate_hz: float) -> np.ndarray:
    """Steps with a 0.2-0.5 s exponential decay at Poisson times, peak ~1."""
    pop = np.exp(-np.arange(int(0.8 * sfreq)) / (sfreq * rng.uniform(0.2, 0.5)))
    return place(n, poisson_onsets(rng, n, sfreq, rate_hz), pop)


# --------------------------------------------------------------------------- confusers


def narrowband_run(rng, length, sfreq, low, high, rise_s) -> np.ndarray:
    """A rhythmic run of narrow-band noise in [low, high] Hz with a ``rise_s`` build-up."""
    return bandpassed_noise(rng, length, sfreq, low, high)[0] * ramp_envelope(
        length, sfreq, rise_s, 2.0
    )


def spindles(rng, n, sfreq, rate_hz: float) -> np.ndarray:
    """Sleep spindles: 0.5-2 s waxing-waning 12-14 Hz runs, unit amplitude."""

    def spindle(length: int) -> np.ndarray:
        t = np.arange(length) / sfreq
        return np.sin(2 * np.pi * rng.uniform(12.0, 14.0) * t) * np.hanning(length)

    return runs(rng, n, sfreq, rate_hz, (0.5, 2.0), spindle)


def vertex_waves(rng, n, sfreq, rate_hz: float) -> np.ndarray:
    """Vertex sharp waves (~200 ms, surface negative), peak ~1."""
    return place(
        n, poisson_onsets(rng, n, sfreq, rate_hz), discharge_template(sfreq, 0.2, 0.3, 0.3)
    )


def chewing(rng, length, sfreq) -> np.ndarray:
    """Chewing artifact: 0.15-0.4 s bursts of 15-29 Hz muscle activity at 1-2 Hz, unit rms inside.

    The classic false alarm of seizure detectors: rhythmic bursts of fast
    activity that look like polyspikes or paroxysmal fast activity.
    """
    rate = rng.uniform(1.0, 2.0)
    onsets = sweep_onsets(rng, length, sfreq, rate, rate, 0.1)
    burst_len = int(rng.uniform(0.15, 0.4) * sfreq)
    gate = place(length, onsets, envelope(burst_len, sfreq, 0.03))
    return bandpassed_noise(rng, length, sfreq, 15.0, 29.5)[0] * np.minimum(gate, 1.0)

"""Signal signatures of the 20 reference concepts (spec sections 6 and 10).

Every signature is a function ``(rng, n_samples, sfreq, channels, base=None)``
returning an array of shape ``(n_channels, n_samples)`` in µV that is *added*
to the recording. ``channels`` are bare 10-20 names (``"FP1"``...). Seizure
concepts (indices 0-9) are added inside seizure windows only, non-seizure
concepts (10-19) outside them (``postictal`` right after a seizure end); the
caller (:mod:`pipeline.synth.signals`) does the placement.

Two concepts modulate existing activity rather than adding new events, so they
read ``base`` (the activity they act on, same shape as the output):

* ``high amplitude`` returns ``2 * base``: the ictal discharge becomes 3x larger.
* ``burst suppression`` returns bursts minus the attenuated part of ``base``:
  between bursts the record is flattened to 10 % of its amplitude.

All content lies in the 1.6-30 Hz band the detectors see, where the pattern
has a physiological frequency. High frequency oscillations (80-500 Hz in
reality) cannot survive a 30 Hz low-pass, so they are modelled as 25-29 Hz
bursts: the closest thing the detectors can see.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from scipy import signal as sps

from pipeline.concepts import REFERENCE_CONCEPTS

Signature = Callable[..., np.ndarray]

LEFT = ("FP1", "F7", "F3", "T3", "C3", "T5", "P3", "O1")
RIGHT = ("FP2", "F8", "F4", "T4", "C4", "T6", "P4", "O2")
MIDLINE = ("FZ", "CZ", "PZ")
#: Focal regions used to localise focal patterns (one hemisphere each).
REGIONS: dict[str, tuple[str, ...]] = {
    "left frontal": ("FP1", "F3", "F7"),
    "right frontal": ("FP2", "F4", "F8"),
    "left temporal": ("F7", "T3", "T5"),
    "right temporal": ("F8", "T4", "T6"),
    "left central": ("F3", "C3", "P3"),
    "right central": ("F4", "C4", "P4"),
    "left occipital": ("P3", "O1", "T5"),
    "right occipital": ("P4", "O2", "T6"),
}
#: Neighbouring pairs along the longitudinal bipolar chains (phase reversals).
NEIGHBOURS = (
    ("FP1", "F7"), ("F7", "T3"), ("T3", "T5"), ("T5", "O1"),
    ("FP2", "F8"), ("F8", "T4"), ("T4", "T6"), ("T6", "O2"),
    ("FP1", "F3"), ("F3", "C3"), ("C3", "P3"), ("P3", "O1"),
    ("FP2", "F4"), ("F4", "C4"), ("C4", "P4"), ("P4", "O2"),
)  # fmt: skip
POSTERIOR = ("O1", "O2", "P3", "P4", "PZ", "T5", "T6")
TEMPORAL = ("T3", "T4", "T5", "T6", "F7", "F8")


# --------------------------------------------------------------------------- helpers


def weights(
    channels: Sequence[str], names: Sequence[str], inside: float = 1.0, outside: float = 0.0
) -> np.ndarray:
    """Per-channel gains: ``inside`` on ``names``, ``outside`` elsewhere, shape (n_channels,)."""
    chosen = set(names)
    return np.array([inside if ch in chosen else outside for ch in channels], dtype=float)


def random_region(rng: np.random.Generator) -> tuple[str, tuple[str, ...]]:
    """A focal region (name, channels) drawn uniformly."""
    name = sorted(REGIONS)[rng.integers(len(REGIONS))]
    return name, REGIONS[name]


def bandpassed_noise(
    rng: np.random.Generator, n: int, sfreq: float, low: float, high: float, size: int = 1
) -> np.ndarray:
    """Unit-rms Gaussian noise limited to [low, high] Hz, shape (size, n).

    Done in the frequency domain (a brick-wall mask) because it is exact,
    zero-phase and cheaper than an IIR filter on long recordings.
    """
    spec = np.fft.rfft(rng.standard_normal((size, n)), axis=-1)
    freqs = np.fft.rfftfreq(n, 1.0 / sfreq)
    spec[:, (freqs < low) | (freqs > high)] = 0.0
    out = np.fft.irfft(spec, n=n, axis=-1)
    rms = np.sqrt(np.mean(out**2, axis=-1, keepdims=True))
    return out / np.where(rms > 0, rms, 1.0)


def event_train(
    rng: np.random.Generator,
    n: int,
    sfreq: float,
    template: np.ndarray,
    rate_hz: float,
    amplitude: float,
    jitter: float = 0.2,
) -> np.ndarray:
    """Copies of ``template`` at Poisson times, shape (n,).

    Each copy is scaled by ``amplitude * (1 +- jitter)`` so events differ a
    little, as real discharges do.
    """
    n_events = rng.poisson(rate_hz * n / sfreq)
    impulses = np.zeros(n)
    positions = rng.integers(0, n, size=n_events)
    np.add.at(impulses, positions, amplitude * (1 + jitter * rng.uniform(-1, 1, n_events)))
    return sps.fftconvolve(impulses, template, mode="full")[:n]


def periodic_train(
    rng: np.random.Generator, n: int, sfreq: float, template: np.ndarray, period_s: float
) -> np.ndarray:
    """Unit copies of ``template`` every ``period_s`` seconds (5 % jitter), shape (n,)."""
    impulses = np.zeros(n)
    t = rng.uniform(0, period_s)
    while t * sfreq < n:
        impulses[int(t * sfreq)] = 1.0
        t += period_s * (1 + 0.05 * rng.standard_normal())
    return sps.fftconvolve(impulses, template, mode="full")[:n]


def spike_template(sfreq: float, width_s: float = 0.05) -> np.ndarray:
    """Biphasic spike of ``width_s`` seconds, peak -1 (surface-negative), shape (k,)."""
    t = np.arange(int(2 * width_s * sfreq) + 1) / sfreq - width_s
    sigma = width_s / 4
    return -np.exp(-0.5 * (t / sigma) ** 2) + 0.3 * np.exp(-0.5 * ((t - 2 * sigma) / sigma) ** 2)


def slow_wave_template(sfreq: float, duration_s: float = 0.25) -> np.ndarray:
    """Positive half-sine of ``duration_s`` seconds, peak 1, shape (k,)."""
    t = np.arange(int(duration_s * sfreq)) / sfreq
    return np.sin(np.pi * t / duration_s)


def sharp_template(sfreq: float, duration_s: float = 0.12) -> np.ndarray:
    """Sharp wave (70-200 ms): asymmetric triangle-like transient, peak -1, shape (k,)."""
    k = max(int(duration_s * sfreq), 3)
    rise = int(k * 0.35)
    shape = np.concatenate([np.linspace(0, 1, rise, endpoint=False), np.linspace(1, 0, k - rise)])
    return -shape


def _envelope(n: int, sfreq: float, ramp_s: float = 0.05) -> np.ndarray:
    """Tukey-like window: 1 inside, cosine ramps of ``ramp_s`` at both ends, shape (n,)."""
    ramp = min(int(ramp_s * sfreq), n // 2)
    env = np.ones(n)
    if ramp > 0:
        r = 0.5 - 0.5 * np.cos(np.pi * np.arange(ramp) / ramp)
        env[:ramp] = r
        env[n - ramp :] = r[::-1]
    return env


def _bursts(
    rng: np.random.Generator,
    n: int,
    sfreq: float,
    rate_hz: float,
    duration_s: tuple[float, float],
    make: Callable[[int], np.ndarray],
) -> np.ndarray:
    """Sum of bursts ``make(length)`` (shape (length,)) at Poisson onsets, shape (n,)."""
    out = np.zeros(n)
    for _ in range(rng.poisson(rate_hz * n / sfreq)):
        length = int(rng.uniform(*duration_s) * sfreq)
        start = int(rng.integers(0, max(n - length, 1)))
        seg = make(length)[: n - start]
        out[start : start + len(seg)] += seg
    return out


# --------------------------------------------------------------------------- seizure 0-9


def spike_and_wave(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Generalised ~3 Hz spike-and-slow-wave complexes, frontal maximum, ~150 µV."""
    freq = rng.uniform(2.7, 3.5)
    complex_ = np.zeros(int(sfreq / freq))
    spike = spike_template(sfreq, 0.06)
    wave = slow_wave_template(sfreq, 0.6 / freq) * 0.7
    complex_[: len(spike)] += spike
    complex_[len(spike) : len(spike) + len(wave)] += wave[: len(complex_) - len(spike)]
    train = periodic_train(rng, n_samples, sfreq, complex_, 1.0 / freq)
    gain = weights(channels, ("FP1", "FP2", "F3", "F4", "FZ", "F7", "F8"), 1.0, 0.6)
    return rng.uniform(120, 180) * gain[:, None] * train[None, :]


def sharp_wave(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Focal sharp waves (70-200 ms), ~1.5 per second, ~120 µV."""
    _, region = random_region(rng)
    train = event_train(
        rng,
        n_samples,
        sfreq,
        sharp_template(sfreq, rng.uniform(0.08, 0.18)),
        1.5,
        rng.uniform(100, 150),
    )
    return weights(channels, region, 1.0, 0.15)[:, None] * train[None, :]


def polyspike(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Bursts of 3-6 spikes at 12-18 Hz, generalised, about one burst per 1.5 s, ~120 µV."""
    rate = rng.uniform(12, 18)
    n_spikes = int(rng.integers(3, 7))
    template = np.zeros(int(n_spikes * sfreq / rate) + int(0.06 * sfreq) + 1)
    spike = spike_template(sfreq, 0.04)
    for k in range(n_spikes):
        at = int(k * sfreq / rate)
        template[at : at + len(spike)] += spike
    train = event_train(rng, n_samples, sfreq, template, 0.7, rng.uniform(100, 150))
    return weights(channels, channels, 1.0)[:, None] * train[None, :]


def high_frequency_oscillation(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Focal 25-29 Hz bursts of 100-300 ms, ~2 per second, ~50 µV.

    Real HFOs are 80-500 Hz; the detectors only see 1.6-30 Hz, so the highest
    visible band stands in for them.
    """
    _, region = random_region(rng)
    freq = rng.uniform(25, 29)

    def burst(length: int) -> np.ndarray:
        t = np.arange(length) / sfreq
        return np.sin(2 * np.pi * freq * t) * np.hanning(length)

    train = _bursts(rng, n_samples, sfreq, 2.0, (0.1, 0.3), burst) * rng.uniform(40, 60)
    return weights(channels, region, 1.0, 0.1)[:, None] * train[None, :]


def spike(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Isolated focal spikes (20-70 ms), ~2 per second, ~150 µV."""
    _, region = random_region(rng)
    template = spike_template(sfreq, rng.uniform(0.03, 0.06))
    train = event_train(rng, n_samples, sfreq, template, 2.0, rng.uniform(120, 180))
    return weights(channels, region, 1.0, 0.2)[:, None] * train[None, :]


def paroxysmal(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Sudden-onset 1-3 s bursts of 4-7 Hz activity with abrupt on/offset, ~120 µV."""
    freq = rng.uniform(4, 7)

    def burst(length: int) -> np.ndarray:
        t = np.arange(length) / sfreq
        return np.sin(2 * np.pi * freq * t + rng.uniform(0, 2 * np.pi)) * _envelope(length, sfreq)

    train = _bursts(rng, n_samples, sfreq, 0.25, (1.0, 3.0), burst) * rng.uniform(100, 140)
    return weights(channels, channels, 1.0)[:, None] * train[None, :]


def burst_suppression(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Generalised 1-2 s bursts separated by 0.7-1.5 s of near-flat suppression.

    Bursts are mixed 2-12 Hz activity of ~150 µV. With ``base`` the suppression
    periods also flatten the underlying record to 10 %: the returned array
    contains ``-0.9 * base`` there.
    """
    gate = np.zeros(n_samples)
    t = int(rng.uniform(0, 1.0) * sfreq)
    while t < n_samples:
        length = int(rng.uniform(1.0, 2.0) * sfreq)
        gate[t : t + length] = _envelope(min(length, n_samples - t), sfreq, 0.1)
        t += length + int(rng.uniform(0.7, 1.5) * sfreq)
    bursts = bandpassed_noise(rng, n_samples, sfreq, 2.0, 12.0)[0] * gate * rng.uniform(120, 180)
    out = np.repeat(bursts[None, :], len(channels), axis=0)
    if base is not None:
        out -= 0.9 * (1.0 - gate)[None, :] * base
    return out


def high_amplitude(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Triples ``base`` (the ictal discharge): returns ``2 * base``.

    Without ``base``: generalised 2-5 Hz activity of ~200 µV.
    """
    if base is not None:
        return 2.0 * base
    return 200.0 * bandpassed_noise(rng, n_samples, sfreq, 2.0, 5.0, 1).repeat(len(channels), 0)


def rhythmic(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Monomorphic sinusoidal theta/delta (2.5-7 Hz) at a constant frequency, ~80 µV."""
    freq = rng.uniform(2.5, 7.0)
    t = np.arange(n_samples) / sfreq
    phases = rng.uniform(0, 0.5, len(channels))
    wave = np.sin(2 * np.pi * freq * t[None, :] + phases[:, None])
    return rng.uniform(60, 100) * wave


def fast(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Low-voltage beta (18-25 Hz) activity, focal or generalised, ~40 µV rms."""
    if rng.random() < 0.5:
        gain = weights(channels, random_region(rng)[1], 1.0, 0.2)
    else:
        gain = weights(channels, channels, 1.0)
    beta = bandpassed_noise(rng, n_samples, sfreq, 18.0, 25.0, 1)[0]
    return rng.uniform(30, 50) * gain[:, None] * beta[None, :]


# --------------------------------------------------------------------------- non-seizure 10-19


def artifacts(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Eye blinks on FP1/FP2 (every 3-10 s) and muscle bursts on temporal channels.

    Blinks: 200-400 ms positive deflections of ~150 µV, frontal only. Muscle:
    0.5-2 s bursts of 20-30 Hz noise (EMG leaks above 20 Hz) of ~40 µV rms.
    """
    blink = slow_wave_template(sfreq, rng.uniform(0.2, 0.4))
    blinks = event_train(rng, n_samples, sfreq, blink, rng.uniform(0.1, 0.3), rng.uniform(120, 180))
    frontal = weights(channels, ("FP1", "FP2"), 1.0) + 0.3 * weights(
        channels, ("F3", "F4", "F7", "F8")
    )
    side = TEMPORAL[::2] if rng.random() < 0.5 else TEMPORAL[1::2]  # one side at a time

    def burst(length: int) -> np.ndarray:
        return bandpassed_noise(rng, length, sfreq, 20.0, 30.0)[0] * _envelope(length, sfreq, 0.1)

    muscle = _bursts(rng, n_samples, sfreq, 0.05, (0.5, 2.0), burst) * rng.uniform(30, 50)
    return frontal[:, None] * blinks[None, :] + weights(channels, side)[:, None] * muscle[None, :]


def postictal(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Generalised delta slowing (1.6-3 Hz), ~80 µV rms, decaying over the segment.

    Meant for the segment right after a seizure end.
    """
    delta = bandpassed_noise(rng, n_samples, sfreq, 1.6, 3.0, len(channels))
    decay = np.exp(-np.arange(n_samples) / (sfreq * rng.uniform(20, 40)))
    return rng.uniform(60, 100) * delta * decay[None, :]


def slowing(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Intermittent focal polymorphic delta (1.6-3.5 Hz) in runs of 2-6 s, ~60 µV rms."""
    _, region = random_region(rng)
    gate = _bursts(rng, n_samples, sfreq, 0.06, (2.0, 6.0), lambda k: _envelope(k, sfreq, 0.3))
    delta = bandpassed_noise(rng, n_samples, sfreq, 1.6, 3.5, 1)[0]
    return (
        rng.uniform(45, 75)
        * weights(channels, region, 1.0, 0.1)[:, None]
        * (delta * np.minimum(gate, 1.0))[None, :]
    )


def evolving_frequency(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Brief focal rhythms whose frequency drifts (e.g. 5 -> 9 Hz) over 4-8 s, ~30 µV.

    Low amplitude and confined to 2-3 channels so that it does not look like a
    seizure: it is the non-ictal cousin of the ictal evolution.
    """
    _, region = random_region(rng)

    def burst(length: int) -> np.ndarray:
        f0, f1 = rng.uniform(4, 6), rng.uniform(8, 11)
        if rng.random() < 0.5:
            f0, f1 = f1, f0
        freq = np.linspace(f0, f1, length)
        return np.sin(2 * np.pi * np.cumsum(freq) / sfreq) * _envelope(length, sfreq, 0.5)

    train = _bursts(rng, n_samples, sfreq, 1 / 40, (4.0, 8.0), burst) * rng.uniform(25, 35)
    return weights(channels, region, 1.0)[:, None] * train[None, :]


def noise(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Electrode pops (steps with 0.2-0.5 s decay, ~200 µV) and a noisy channel.

    One electrode pops and one (possibly another) carries extra broadband noise
    (1.6-30 Hz, ~25 µV rms) over the whole record.
    """
    out = np.zeros((len(channels), n_samples))
    pop = np.exp(-np.arange(int(0.8 * sfreq)) / (sfreq * rng.uniform(0.2, 0.5)))
    popping = int(rng.integers(len(channels)))
    out[popping] = event_train(rng, n_samples, sfreq, pop, 1 / 15, rng.uniform(150, 250), 0.4)
    noisy = int(rng.integers(len(channels)))
    out[noisy] += rng.uniform(20, 30) * bandpassed_noise(rng, n_samples, sfreq, 1.6, 30.0)[0]
    return out


def interictal(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Sporadic single spike-and-wave discharges, one focus, every 5-20 s, ~120 µV."""
    _, region = random_region(rng)
    s = spike_template(sfreq, 0.05)
    w = slow_wave_template(sfreq, 0.25) * 0.6
    template = np.concatenate([s, w])
    train = event_train(
        rng, n_samples, sfreq, template, rng.uniform(1 / 20, 1 / 5), rng.uniform(100, 140)
    )
    return weights(channels, region, 1.0, 0.1)[:, None] * train[None, :]


def epileptiform(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Multifocal sharp transients (sharp-and-slow), each at a random channel group."""
    out = np.zeros((len(channels), n_samples))
    template = np.concatenate([sharp_template(sfreq, 0.1), 0.5 * slow_wave_template(sfreq, 0.3)])
    names = sorted(REGIONS)
    for region in rng.choice(names, size=3, replace=False):
        train = event_train(
            rng, n_samples, sfreq, template, rng.uniform(1 / 30, 1 / 10), rng.uniform(90, 130)
        )
        out += weights(channels, REGIONS[str(region)])[:, None] * train[None, :]
    return out


def pled(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Periodic lateralised (one hemisphere) sharp discharges every 0.7-1.5 s, ~100 µV."""
    hemisphere = LEFT if rng.random() < 0.5 else RIGHT
    template = np.concatenate([sharp_template(sfreq, 0.15), 0.4 * slow_wave_template(sfreq, 0.3)])
    train = periodic_train(rng, n_samples, sfreq, template, rng.uniform(0.7, 1.5))
    return rng.uniform(80, 120) * weights(channels, hemisphere, 1.0)[:, None] * train[None, :]


def phase_reversal(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Transients of opposite polarity on two neighbouring electrodes, every 4-12 s, ~100 µV."""
    out = np.zeros((len(channels), n_samples))
    present = [p for p in NEIGHBOURS if p[0] in channels and p[1] in channels]
    a, b = present[rng.integers(len(present))]
    train = event_train(
        rng,
        n_samples,
        sfreq,
        sharp_template(sfreq, 0.1),
        rng.uniform(1 / 12, 1 / 4),
        rng.uniform(80, 120),
    )
    out[list(channels).index(a)] = train
    out[list(channels).index(b)] = -train
    return out


def background(rng, n_samples, sfreq, channels, base=None) -> np.ndarray:
    """Posterior dominant alpha rhythm (8-12 Hz), waxing and waning, ~35 µV rms."""
    peak = rng.uniform(8.5, 11.0)
    alpha = bandpassed_noise(rng, n_samples, sfreq, peak - 0.7, peak + 0.7, 1)[0]
    wax = 0.6 + 0.4 * bandpassed_noise(rng, n_samples, sfreq, 0.05, 0.3, 1)[0].clip(-1.5, 1.5)
    gain = weights(channels, POSTERIOR, 1.0, 0.0) + 0.2 * weights(channels, ("C3", "C4", "CZ"))
    return rng.uniform(25, 45) * gain[:, None] * (alpha * wax)[None, :]


#: Concept name -> signature, in :data:`~pipeline.concepts.REFERENCE_CONCEPTS` order.
SIGNATURES: dict[str, Signature] = dict(
    zip(
        REFERENCE_CONCEPTS,
        (
            spike_and_wave,
            sharp_wave,
            polyspike,
            high_frequency_oscillation,
            spike,
            paroxysmal,
            burst_suppression,
            high_amplitude,
            rhythmic,
            fast,
            artifacts,
            postictal,
            slowing,
            evolving_frequency,
            noise,
            interictal,
            epileptiform,
            pled,
            phase_reversal,
            background,
        ),  # fmt: skip
        strict=True,
    )
)

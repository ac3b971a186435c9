"""Whole synthetic recordings: 1/f background, ictal discharges, planted concepts.

A recording is built in µV as

    background (pink noise, per patient) + ictal discharge (inside seizures)
    + seizure concepts (inside seizures) + non-seizure concepts (outside them)

Seizures are made clearly visible on purpose: the detectors downstream must
reach a window AUROC of about 0.9 after clipping at +-2 std and z-scoring, so
every seizure carries a rhythmic, evolving (7 -> 3 Hz) discharge of 3-5x the
background rms, generalised or focal with spread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.concepts import SEIZURE_CONCEPTS
from pipeline.synth.signatures import LEFT, RIGHT, SIGNATURES, postictal, weights

Interval = tuple[float, float]
#: Seconds of postictal slowing after a seizure end (cut short by the next seizure).
POSTICTAL_S = (40.0, 90.0)


@dataclass(frozen=True)
class PatientProfile:
    """Per-patient signal traits, drawn once by :func:`draw_profile`."""

    background_rms: float  # µV, 20-50
    exponent: float  # 1/f^exponent power law of the background
    common_fraction: float  # share of background variance common to all channels
    ictal_gain: float  # ictal discharge rms / background rms (synth.ictal_gain, default 3-5)
    focal: bool  # focal onset with spread, else generalised
    hemisphere: str  # "left" / "right": side of a focal onset


def draw_profile(
    rng: np.random.Generator, ictal_gain: tuple[float, float] = (3.0, 5.0)
) -> PatientProfile:
    """Draw the signal traits of one patient.

    ``ictal_gain`` bounds the ictal discharge's rms as a multiple of the
    patient's background rms.
    """
    return PatientProfile(
        background_rms=float(rng.uniform(20, 50)),
        exponent=float(rng.uniform(0.8, 1.4)),
        common_fraction=float(rng.uniform(0.1, 0.35)),
        ictal_gain=float(rng.uniform(*ictal_gain)),
        focal=bool(rng.random() < 0.5),
        hemisphere="left" if rng.random() < 0.5 else "right",
    )


def pink_noise(
    rng: np.random.Generator, n_channels: int, n_samples: int, sfreq: float, exponent: float
) -> np.ndarray:
    """Unit-rms 1/f^exponent noise above 0.5 Hz, shape (n_channels, n_samples)."""
    freqs = np.fft.rfftfreq(n_samples, 1.0 / sfreq)
    # Amplitude spectrum f^(-exponent/2) gives a power spectrum f^-exponent; the
    # flat part below 0.5 Hz avoids a huge DC / drift term.
    shape = np.maximum(freqs, 0.5) ** (-exponent / 2)
    spec = np.fft.rfft(rng.standard_normal((n_channels, n_samples)), axis=-1) * shape
    out = np.fft.irfft(spec, n=n_samples, axis=-1)
    return out / out.std(axis=-1, keepdims=True)


def background_activity(
    rng: np.random.Generator,
    n_samples: int,
    sfreq: float,
    n_channels: int,
    profile: PatientProfile,
) -> np.ndarray:
    """Pink-noise background in µV, shape (n_channels, n_samples).

    A shared component (volume conduction) is mixed into independent
    per-channel noise; per-channel gains vary by +-20 %.
    """
    own = pink_noise(rng, n_channels, n_samples, sfreq, profile.exponent)
    common = pink_noise(rng, 1, n_samples, sfreq, profile.exponent)
    c = profile.common_fraction
    mixed = np.sqrt(1 - c) * own + np.sqrt(c) * common
    gains = profile.background_rms * rng.uniform(0.8, 1.2, n_channels)
    return gains[:, None] * mixed


def ictal_discharge(
    rng: np.random.Generator,
    n_samples: int,
    sfreq: float,
    channels: Sequence[str],
    profile: PatientProfile,
) -> np.ndarray:
    """Rhythmic evolving ictal discharge for one seizure, µV, shape (n_channels, n_samples).

    Frequency drifts from 5-8 Hz down to 2.5-4 Hz (classic ictal evolution);
    amplitude ramps up over 2-4 s and down over the last 2 s. The waveform has
    a second harmonic so it looks sharp rather than sinusoidal. Focal seizures
    start on one hemisphere and spread to the other after 3-10 s.
    """
    t = np.arange(n_samples) / sfreq
    duration = n_samples / sfreq
    f_start, f_end = rng.uniform(5.0, 8.0), rng.uniform(2.5, 4.0)
    freq = f_start + (f_end - f_start) * (t / duration)
    phase = 2 * np.pi * np.cumsum(freq) / sfreq
    wave = np.sin(phase) + 0.45 * np.sin(2 * phase + 0.6)
    wave /= np.sqrt(np.mean(wave**2))
    ramp_up = np.clip(t / rng.uniform(2.0, 4.0), 0, 1)
    ramp_down = np.clip((duration - t) / 2.0, 0, 1)
    env = ramp_up * ramp_down * (1 + 0.15 * np.sin(2 * np.pi * t / rng.uniform(3, 8)))
    gains = rng.uniform(0.75, 1.1, len(channels))
    if profile.focal:
        onset = LEFT if profile.hemisphere == "left" else RIGHT
        # Other channels join after a delay: the seizure spreads from the focus.
        delay = np.where(weights(channels, onset) > 0, 0.0, rng.uniform(3.0, 10.0))
        spread = np.clip((t[None, :] - delay[:, None]) / 2.0, 0, 1)
    else:
        spread = np.ones((len(channels), 1))
    lags = rng.uniform(0, 0.02, len(channels))  # small inter-channel lags (s)
    shifted = np.stack([np.interp(t - lag, t, wave) for lag in lags])
    rms = profile.ictal_gain * profile.background_rms
    return rms * gains[:, None] * spread * env[None, :] * shifted


def seizure_mask(n_samples: int, sfreq: float, seizures: Sequence[Interval]) -> np.ndarray:
    """Boolean mask of samples inside any seizure, shape (n_samples,)."""
    mask = np.zeros(n_samples, dtype=bool)
    for start, stop in seizures:
        mask[int(round(start * sfreq)) : int(round(stop * sfreq))] = True
    return mask


def build_recording(
    rng: np.random.Generator,
    n_samples: int,
    sfreq: float,
    channels: Sequence[str],
    seizures: Sequence[Interval],
    concepts: Sequence[str],
    profile: PatientProfile,
) -> np.ndarray:
    """One recording in µV, shape (len(channels), n_samples).

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of all randomness (per recording).
    n_samples : int
        Length in samples.
    sfreq : float
        Sampling frequency (Hz).
    channels : sequence of str
        Bare 10-20 names; output rows follow this order.
    seizures : sequence of (start, stop)
        Seizure intervals in seconds, sorted, non-overlapping.
    concepts : sequence of str
        The patient's planted concepts (names from ``REFERENCE_CONCEPTS``).
    profile : PatientProfile
        The patient's signal traits.
    """
    channels = list(channels)
    n_ch = len(channels)
    data = background_activity(rng, n_samples, sfreq, n_ch, profile)
    inside = seizure_mask(n_samples, sfreq, seizures)
    seizure_concepts = [c for c in concepts if c in SEIZURE_CONCEPTS]
    other_concepts = [c for c in concepts if c not in SEIZURE_CONCEPTS and c != "postictal"]

    for start, stop in seizures:
        a, b = int(round(start * sfreq)), int(round(stop * sfreq))
        ictal = ictal_discharge(rng, b - a, sfreq, channels, profile)
        # High amplitude scales the discharge; burst suppression flattens the
        # whole record between bursts, so each gets the activity it acts on.
        extra = np.zeros_like(ictal)
        for name in seizure_concepts:
            base = ictal if name == "high amplitude" else data[:, a:b] + ictal
            extra += SIGNATURES[name](rng, b - a, sfreq, channels, base=base)
        data[:, a:b] += ictal + extra

    for name in other_concepts:
        data += SIGNATURES[name](rng, n_samples, sfreq, channels) * ~inside

    if "postictal" in concepts and seizures:
        starts = [s for s, _ in seizures]
        for (_, stop), next_start in zip(seizures, [*starts[1:], n_samples / sfreq], strict=True):
            length_s = min(rng.uniform(*POSTICTAL_S), next_start - stop)
            a = int(round(stop * sfreq))
            b = min(a + int(length_s * sfreq), n_samples)
            if b > a:
                data[:, a:b] += postictal(rng, b - a, sfreq, channels)
    return data

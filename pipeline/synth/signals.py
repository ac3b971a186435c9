"""Whole synthetic recordings of corpus v2 (spec section 10), in µV.

A recording is

    background (1/f noise, per patient; suppressed where a pattern says so)
    + seizures, each made of its type's concepts (no shared discharge)
    + the patient's non-seizure patterns, outside seizures
    + label-neutral confusers, outside seizures
    + HFO bursts in the raw band above 30 Hz (the negative control)

Everything that makes a patient recognisable is drawn once per patient
(:func:`draw_traits`): focus, frequencies, evolution slope, ictal amplitude
ratio, spread delay. Each seizure jitters the frequencies by about 10 %.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.synth import patterns as pt
from pipeline.synth.scalp import (
    CENTRAL,
    EXTRATEMPORAL_FOCI,
    POSTERIOR,
    TEMPORAL_FOCI,
    focal_field,
    generalized_field,
    hemisphere,
    side_of,
)
from pipeline.synth.types import TYPES_BY_NAME, TypePlan

#: Seizure morphologies that are waveforms (the other seizure concepts modulate them).
MORPHOLOGIES = ("spike and wave", "rhythmic", "fast", "polyspike", "sharp wave", "spike")
#: Weight of an optional morphology relative to the carrier's (rms).
OPTIONAL_WEIGHT = 0.6
#: Sigma of a focal seizure's field (scalp position units: the focus and its neighbours).
FOCAL_WIDTH = 0.35
#: Gain of the whole-head field a focal seizure spreads to, relative to the focus.
SPREAD_GAIN = 0.8
#: Seconds around a seizure kept free of confusers (and of other confuser runs).
CONFUSER_MARGIN_S = 10.0


@dataclass(frozen=True)
class Seizure:
    """One seizure of a recording: interval (s) and the type it belongs to."""

    start: float
    stop: float
    kind: str


@dataclass(frozen=True)
class Traits:
    """A patient's stable signal traits (drawn by :func:`draw_traits`); µV, Hz, s."""

    background_rms: float
    exponent: float
    common_fraction: float
    ictal_ratio: float  # ictal rms / background rms at the focus, synth.ictal_rms
    high_amplitude_gain: float  # x1.8-2.5 on top, when "high amplitude" is planted
    focus: str
    spread_delay_s: float
    rise_s: float
    sw_freq: float
    sw_spike_s: float
    sw_wave_s: float
    rhythm_focal_hz: float
    rhythm_generalized_hz: float
    evolution_slope: float  # end / start frequency of an evolving rhythm
    fast_hz: float
    fast_onset_s: float
    polyspike_hz: float
    polyspike_n: int
    sharp_rate_hz: float
    sharp_s: float
    spike_rate_hz: float
    spike_s: float
    interictal_per_min: float
    discharge_peak: float  # interictal / epileptiform / PLED peak, x background rms
    epileptiform_foci: tuple[str, str, str]
    pled_hz: float
    phase_reversal_per_min: float
    birds_per_min: float
    slowing_focal: bool
    slowing_per_min: float
    postictal_decay_s: float
    alpha_hz: float
    hfo_rate_hz: float


def draw_traits(rng: np.random.Generator, focus: str, ictal_rms: tuple[float, float]) -> Traits:
    """Draw one patient's traits; every field is drawn every time, in a fixed order."""
    u = rng.uniform
    foci = tuple(rng.choice(EXTRATEMPORAL_FOCI + ("T3", "T4", "T5", "T6"), 3, replace=False))
    return Traits(
        background_rms=float(u(20, 50)),
        exponent=float(u(0.8, 1.4)),
        common_fraction=float(u(0.1, 0.35)),
        ictal_ratio=float(u(*ictal_rms)),
        high_amplitude_gain=float(u(1.8, 2.5)),
        focus=focus,
        spread_delay_s=float(u(5, 20)),
        rise_s=float(u(3, 10)),
        sw_freq=float(u(2.5, 4.0)),
        sw_spike_s=float(u(0.03, 0.05)),
        sw_wave_s=float(u(0.15, 0.3)),
        rhythm_focal_hz=float(u(5.0, 9.0)),
        rhythm_generalized_hz=float(u(2.5, 5.0)),
        evolution_slope=float(u(0.6, 0.85)),
        fast_hz=float(u(15.0, 28.0)),
        fast_onset_s=float(u(3.0, 10.0)),
        polyspike_hz=float(u(12.0, 20.0)),
        polyspike_n=int(rng.integers(3, 9)),
        sharp_rate_hz=float(u(2.5, 4.0)),
        sharp_s=float(u(0.12, 0.2)),
        spike_rate_hz=float(u(2.5, 5.0)),
        spike_s=float(u(0.025, 0.04)),
        interictal_per_min=float(u(1.0, 10.0)),
        discharge_peak=float(u(4.5, 6.5)),
        epileptiform_foci=(str(foci[0]), str(foci[1]), str(foci[2])),
        pled_hz=float(u(0.5, 2.0)),
        phase_reversal_per_min=float(u(4.0, 12.0)),
        birds_per_min=float(u(1.0, 3.0)),
        slowing_focal=bool(rng.random() < 0.6),
        slowing_per_min=float(u(1.0, 4.0)),
        postictal_decay_s=float(u(30.0, 120.0)),
        alpha_hz=float(u(8.0, 12.0)),
        hfo_rate_hz=float(u(2.0, 5.0)),
    )


# --------------------------------------------------------------------------- background


def pink_noise(
    rng: np.random.Generator, n_channels: int, n_samples: int, sfreq: float, exponent: float
) -> np.ndarray:
    """Unit-rms 1/f^exponent noise above 0.5 Hz, shape (n_channels, n_samples)."""
    freqs = np.fft.rfftfreq(n_samples, 1.0 / sfreq)
    # Flat below 0.5 Hz: avoids a huge DC / drift term.
    shape = np.maximum(freqs, 0.5) ** (-exponent / 2)
    spec = np.fft.rfft(rng.standard_normal((n_channels, n_samples)), axis=-1) * shape
    return pt.unit_rms(np.fft.irfft(spec, n=n_samples, axis=-1))


def background_activity(rng, n_samples, sfreq, n_channels, traits: Traits) -> np.ndarray:
    """1/f background in µV, shape (n_channels, n_samples): shared + own noise, gains +-20 %."""
    own = pink_noise(rng, n_channels, n_samples, sfreq, traits.exponent)
    common = pink_noise(rng, 1, n_samples, sfreq, traits.exponent)
    c = traits.common_fraction
    gains = traits.background_rms * rng.uniform(0.8, 1.2, n_channels)
    return gains[:, None] * (np.sqrt(1 - c) * own + np.sqrt(c) * common)


# --------------------------------------------------------------------------- seizures


def _morphology(
    rng, name: str, n: int, sfreq: float, tr: Traits, generalized: bool, j
) -> np.ndarray:
    """Unit-rms course of one seizure morphology; ``j()`` draws the per-seizure jitter."""
    if name == "spike and wave":
        return pt.spike_and_wave(rng, n, sfreq, tr.sw_freq * j(), tr.sw_spike_s, tr.sw_wave_s)
    if name == "rhythmic":
        f0 = tr.rhythm_generalized_hz if generalized else tr.rhythm_focal_hz
        return pt.rhythmic(rng, n, sfreq, f0 * j(), tr.evolution_slope)
    if name == "fast":
        return pt.fast(rng, n, sfreq, min(tr.fast_hz * j(), 28.0))
    if name == "polyspike":
        return pt.polyspike(rng, n, sfreq, tr.polyspike_hz * j(), tr.polyspike_n)
    if name == "sharp wave":
        return pt.sharp_waves(rng, n, sfreq, tr.sharp_rate_hz * j(), tr.sharp_s)
    if name == "spike":
        return pt.spikes(rng, n, sfreq, tr.spike_rate_hz * j(), tr.spike_s)
    raise ValueError(f"not a seizure morphology: {name!r}")


def seizure_course(
    rng: np.random.Generator, n: int, sfreq: float, plan: TypePlan, tr: Traits
) -> tuple[np.ndarray, np.ndarray]:
    """Unit-rms time course of one seizure, and the factor on the background.

    The carrier and the optional morphologies are mixed (optional ones at
    :data:`OPTIONAL_WEIGHT`); a fast onset (the carrier of focal extratemporal
    seizures, optional elsewhere) leads for 3-10 s and then gives way to the
    rest; paroxysmal seizures switch on in paroxysms, the others ramp up;
    burst suppression gates everything, the background included.

    Returns
    -------
    course : ndarray, shape (n,)
    background_gain : ndarray, shape (n,)
    """
    kind = TYPES_BY_NAME[plan.name]

    def jitter() -> float:
        return float(rng.uniform(0.9, 1.1))

    concepts = plan.concepts
    morph = [c for c in concepts if c in MORPHOLOGIES]
    fast_onset = "fast" in morph and not (kind.generalized and morph[0] == "fast")
    main_names = [c for c in morph if not (fast_onset and c == "fast")]
    main = np.zeros(n)
    for k, name in enumerate(main_names):
        weight = 1.0 if k == 0 else OPTIONAL_WEIGHT
        main += weight * _morphology(rng, name, n, sfreq, tr, kind.generalized, jitter)
    background_gain = np.ones(n)
    if "burst suppression" in concepts:
        gate = pt.burst_gate(rng, n, sfreq, (1.0, 3.0), (0.5, 2.0))
        burst = pt.unit_rms(pt.epileptiform_burst(rng, n, sfreq))
        main = ((pt.unit_rms(main) if main.any() else 0.0) + burst) * gate
        background_gain = 0.15 + 0.85 * gate
    if fast_onset:
        onset = tr.fast_onset_s * jitter()
        t = np.arange(n) / sfreq
        blend = np.clip((t - onset) / 2.0, 0, 1) if main.any() else np.zeros(n)
        fast = _morphology(rng, "fast", n, sfreq, tr, kind.generalized, jitter)
        main = (1 - blend) * fast + blend * pt.unit_rms(main)
    if "paroxysmal" in concepts:
        env = pt.paroxysmal_envelope(rng, n, sfreq)
    else:
        # A short seizure (an absence of 6 s) cannot spend 10 s building up.
        env = pt.ramp_envelope(n, sfreq, min(tr.rise_s * jitter(), 0.2 * n / sfreq))
    return pt.unit_rms(main * env), background_gain


def seizure_field(
    channels: Sequence[str], n: int, sfreq: float, generalized: bool, tr: Traits
) -> np.ndarray:
    """Per-channel gain over time, shape (n_channels, n) or (n_channels, 1).

    Generalized: the whole head with a frontal maximum from the first sample.
    Focal: a Gaussian field at the focus that spreads to the whole head (at
    :data:`SPREAD_GAIN`) after the patient's spread delay (5-20 s), over 3 s.
    """
    if generalized:
        return generalized_field(channels)[:, None]
    focal = focal_field(channels, tr.focus, FOCAL_WIDTH)
    t = np.arange(n) / sfreq
    spread = np.clip((t - tr.spread_delay_s) / 3.0, 0, 1)
    whole = SPREAD_GAIN * generalized_field(channels)[:, None] * spread[None, :]
    return np.maximum(focal[:, None], whole)


def seizure_activity(
    rng: np.random.Generator,
    n: int,
    sfreq: float,
    channels: Sequence[str],
    plan: TypePlan,
    tr: Traits,
    generic_share: float,
) -> tuple[np.ndarray, np.ndarray]:
    """One seizure in µV, shape (n_channels, n), and the background factor, shape (n,).

    The course has rms ``ictal_ratio x background_rms`` at full field (x the
    high-amplitude gain when planted); ``generic_share`` s mixes in the v1
    discharge: ``normalise(sqrt(s) G + sqrt(1 - s) M)``.
    """
    kind = TYPES_BY_NAME[plan.name]
    course, background_gain = seizure_course(rng, n, sfreq, plan, tr)
    if generic_share > 0:
        generic = pt.generic_discharge(rng, n, sfreq) * pt.ramp_envelope(n, sfreq, tr.rise_s)
        course = pt.unit_rms(
            np.sqrt(generic_share) * pt.unit_rms(generic) + np.sqrt(1 - generic_share) * course
        )
    gain = tr.ictal_ratio * tr.background_rms
    if "high amplitude" in plan.concepts:
        gain *= tr.high_amplitude_gain
    # Small inter-channel lags (0-15 ms): volume conduction is not instantaneous.
    t = np.arange(n)
    lags = rng.uniform(0, 0.015 * sfreq, len(channels))
    lagged = np.stack([np.interp(t - lag, t, course) for lag in lags])
    return gain * seizure_field(channels, n, sfreq, kind.generalized, tr) * lagged, background_gain


def seizure_mask(n_samples: int, sfreq: float, seizures: Sequence[Seizure]) -> np.ndarray:
    """Boolean mask of samples inside any seizure, shape (n_samples,)."""
    mask = np.zeros(n_samples, dtype=bool)
    for s in seizures:
        mask[int(round(s.start * sfreq)) : int(round(s.stop * sfreq))] = True
    return mask


# --------------------------------------------------------------------------- outside seizures


def non_seizure_activity(
    rng: np.random.Generator, name: str, n: int, sfreq: float, channels: Sequence[str], tr: Traits
) -> np.ndarray:
    """One non-seizure concept over a whole recording, µV, shape (n_channels, n).

    Lateralized and focal patterns sit at the patient's own focus / hemisphere.
    ``postictal`` is placed by :func:`build_recording` (it follows seizures).
    """
    bg = tr.background_rms
    peak = tr.discharge_peak * bg
    at_focus = focal_field(channels, tr.focus, 0.3)[:, None]
    if name == "interictal":
        return peak * at_focus * pt.discharges(rng, n, sfreq, tr.interictal_per_min / 60, 0.08, 0.2)
    if name == "epileptiform":
        out = np.zeros((len(channels), n))
        for focus in tr.epileptiform_foci:
            train = pt.discharges(rng, n, sfreq, rng.uniform(1.0, 4.0) / 60, 0.1, 0.25)
            out += peak * focal_field(channels, focus, 0.3)[:, None] * train[None, :]
        return out
    if name == "PLED":
        field = hemisphere(channels, side_of(tr.focus)) * (
            0.5 + 0.5 * focal_field(channels, tr.focus, 0.5)
        )
        return peak * field[:, None] * pt.periodic_discharges(rng, n, sfreq, tr.pled_hz)[None, :]
    if name == "phase reversal":
        field = focal_field(channels, tr.focus, 0.15)[:, None]
        return (
            peak * field * pt.discharges(rng, n, sfreq, tr.phase_reversal_per_min / 60, 0.08, 0.15)
        )
    if name == "evolving frequency":
        return (
            rng.uniform(1.2, 2.0) * bg * at_focus * pt.birds(rng, n, sfreq, tr.birds_per_min / 60)
        )
    if name == "slowing":
        field = (
            focal_field(channels, tr.focus, 0.4)
            if tr.slowing_focal
            else generalized_field(channels)
        )
        delta = pt.polymorphic_delta(rng, n, sfreq, tr.slowing_per_min / 60)
        return rng.uniform(1.2, 2.0) * bg * field[:, None] * delta[None, :]
    if name == "background":
        field = np.array(
            [1.0 if ch in POSTERIOR else 0.2 if ch in CENTRAL else 0.05 for ch in channels]
        )
        return (
            rng.uniform(1.0, 1.5)
            * bg
            * field[:, None]
            * pt.alpha_rhythm(rng, n, sfreq, tr.alpha_hz)[None, :]
        )
    if name == "artifacts":
        frontal = np.array(
            [
                1.0 if ch in ("FP1", "FP2") else 0.3 if ch in ("F3", "F4", "F7", "F8") else 0.0
                for ch in channels
            ]
        )
        side = "left" if rng.random() < 0.5 else "right"
        temporal = np.array([1.0 if ch in TEMPORAL_FOCI else 0.0 for ch in channels]) * hemisphere(
            channels, side
        )
        blink = rng.uniform(3.0, 5.0) * bg * pt.blinks(rng, n, sfreq, rng.uniform(0.1, 0.3))
        emg = rng.uniform(1.0, 1.5) * bg * pt.muscle(rng, n, sfreq, 0.05)
        return frontal[:, None] * blink[None, :] + temporal[:, None] * emg[None, :]
    if name == "noise":
        out = np.zeros((len(channels), n))
        out[int(rng.integers(len(channels)))] = (
            rng.uniform(4.0, 6.0) * bg * pt.electrode_pops(rng, n, sfreq, 1 / 15)
        )
        noisy = int(rng.integers(len(channels)))
        out[noisy] += rng.uniform(0.6, 1.0) * bg * pt.bandpassed_noise(rng, n, sfreq, 1.6, 30.0)[0]
        return out
    raise ValueError(f"no non-seizure pattern for {name!r}")


def _free_start(rng, n: int, length: int, busy: np.ndarray) -> int | None:
    """A start sample where ``length`` samples avoid ``busy``; None after 20 tries."""
    for _ in range(20):
        start = int(rng.integers(0, max(n - length, 1)))
        if not busy[start : start + length].any():
            return start
    return None


def confusers(
    rng: np.random.Generator,
    n: int,
    sfreq: float,
    channels: Sequence[str],
    tr: Traits,
    seizures: Sequence[Seizure],
    rate: float,
) -> tuple[np.ndarray, list[dict]]:
    """Label-neutral, rhythmic look-alikes of seizures, outside seizures (spec 10).

    Hyperventilation-like generalized 2.5-4 Hz delta (10-60 s, no spikes), drowsy
    5-7 Hz bitemporal theta (5-30 s, no evolution), a sleep stretch with spindles
    and vertex waves, bitemporal chewing artifact (1-2 Hz bursts of 15-29 Hz
    muscle activity, 3-15 s) and rhythmic 1.5-3 Hz movement artifact at 1.5-3x
    the background. ``rate`` scales every probability (0 = none). Never in the notes.

    Returns
    -------
    activity : ndarray, shape (n_channels, n)
    events : list of dict
        ``{"kind", "start", "stop"}`` in seconds, for the truth file.
    """
    out = np.zeros((len(channels), n))
    busy = seizure_mask(n, sfreq, seizures)
    margin = int(CONFUSER_MARGIN_S * sfreq)
    for s in seizures:  # keep a margin: postictal activity belongs to the seizure
        busy[max(int(s.start * sfreq) - margin, 0) : int(s.stop * sfreq) + 3 * margin] = True
    bg = tr.background_rms
    events = []

    def add(kind: str, length_s: float, make) -> None:
        length = int(length_s * sfreq)
        start = _free_start(rng, n, length, busy)
        if start is None:
            return
        out[:, start : start + length] += make(length)
        busy[start : start + length] = True
        events.append(
            {
                "kind": kind,
                "start": round(start / sfreq, 3),
                "stop": round((start + length) / sfreq, 3),
            }
        )

    if rng.random() < min(1.0, 0.5 * rate):
        f = rng.uniform(2.5, 4.0)
        amp = rng.uniform(1.0, 1.8) * bg
        field = generalized_field(channels)[:, None]
        rise = rng.uniform(5, 10)
        add(
            "hyperventilation",
            rng.uniform(10, 60),
            lambda k: amp * field * pt.narrowband_run(rng, k, sfreq, f - 0.4, f + 0.4, rise),
        )
    if rng.random() < min(1.0, 0.5 * rate):
        f = rng.uniform(5.0, 7.0)
        field = np.maximum(focal_field(channels, "T3", 0.35), focal_field(channels, "T4", 0.35))[
            :, None
        ]
        for _ in range(int(rng.integers(1, 4))):
            amp = rng.uniform(0.8, 1.5) * bg
            add(
                "drowsy theta",
                rng.uniform(5, 30),
                lambda k, a=amp: (
                    a * field * pt.narrowband_run(rng, k, sfreq, f - 0.6, f + 0.6, 1.0)
                ),
            )
    if rng.random() < min(1.0, 0.4 * rate):
        central = np.maximum.reduce([focal_field(channels, ch, 0.35) for ch in CENTRAL])[:, None]
        vertex = focal_field(channels, "CZ", 0.35)[:, None]

        def sleep(k: int) -> np.ndarray:
            sp = rng.uniform(1.0, 1.5) * bg * central * pt.spindles(rng, k, sfreq, 0.15)[None, :]
            vw = rng.uniform(2.0, 3.0) * bg * vertex * pt.vertex_waves(rng, k, sfreq, 0.1)[None, :]
            return sp + vw

        add("sleep", rng.uniform(30, 120), sleep)
    if rng.random() < min(1.0, 0.4 * rate):
        temporal = np.array([1.0 if ch in TEMPORAL_FOCI else 0.2 for ch in channels])[:, None]
        for _ in range(int(rng.integers(1, 4))):
            amp = rng.uniform(1.5, 3.0) * bg
            add(
                "chewing artifact",
                rng.uniform(3, 15),
                lambda k, a=amp: a * temporal * pt.chewing(rng, k, sfreq)[None, :],
            )
    for _ in range(rng.poisson(2.0 * rate * n / sfreq / 600)):
        side = "left" if rng.random() < 0.5 else "right"
        field = (
            hemisphere(channels, side)
            * np.array([1.0 if ch[0] in "FT" else 0.3 for ch in channels])
        )[:, None]
        f = rng.uniform(1.5, 3.0)
        amp = rng.uniform(1.5, 3.0) * bg

        def movement(k: int, f=f, amp=amp, field=field) -> np.ndarray:
            wave = np.sin(pt.chirp(k, sfreq, f, f * rng.uniform(0.9, 1.1))) * pt.envelope(
                k, sfreq, 0.3
            )
            return amp * field * (wave + 0.3 * pt.muscle(rng, k, sfreq, 1.0))[None, :]

        add("movement artifact", rng.uniform(2, 10), movement)
    return out, events


# --------------------------------------------------------------------------- recording


def build_recording(
    rng: np.random.Generator,
    n_samples: int,
    sfreq: float,
    channels: Sequence[str],
    seizures: Sequence[Seizure],
    plans: dict[str, TypePlan],
    non_seizure: Sequence[str],
    hfo: bool,
    tr: Traits,
    generic_share: float = 0.0,
    confuser_rate: float = 1.0,
) -> tuple[np.ndarray, list[dict]]:
    """One recording in µV, shape (len(channels), n_samples), and its confuser events.

    Parameters
    ----------
    rng : numpy.random.Generator
        Source of all randomness of this recording.
    n_samples : int
    sfreq : float
        Sampling frequency (Hz) of the raw EDF (250 or 256 on the default corpus).
    channels : sequence of str
        Bare 10-20 names; output rows follow this order.
    seizures : sequence of Seizure
        Sorted, non-overlapping; ``kind`` names one of ``plans``.
    plans : dict
        Seizure type name -> the patient's :class:`TypePlan` for it.
    non_seizure : sequence of str
        The patient's planted non-seizure concepts.
    hfo : bool
        Plant the HFO control (80-120 Hz bursts at the focus during seizures).
    tr : Traits
    generic_share : float
        Share of the v1 generic discharge in every seizure (0 = none).
    confuser_rate : float
        Scale of the confusers' probabilities.
    """
    channels = list(channels)
    n_ch = len(channels)
    # The HFO control has a stream of its own: planting it changes nothing else.
    hfo_rng = np.random.default_rng(int(rng.integers(2**63)))
    background = background_activity(rng, n_samples, sfreq, n_ch, tr)
    background_gain = np.ones(n_samples)
    activity = np.zeros((n_ch, n_samples))
    inside = seizure_mask(n_samples, sfreq, seizures)
    at_focus = focal_field(channels, tr.focus, 0.3)[:, None]

    for s in seizures:
        a, b = int(round(s.start * sfreq)), int(round(s.stop * sfreq))
        ictal, gain = seizure_activity(
            rng, b - a, sfreq, channels, plans[s.kind], tr, generic_share
        )
        activity[:, a:b] += ictal
        background_gain[a:b] *= gain
        if hfo:
            bursts = pt.hfo_bursts(hfo_rng, b - a, sfreq, tr.hfo_rate_hz)
            activity[:, a:b] += 0.6 * tr.background_rms * at_focus * bursts[None, :]

    outside = ~inside
    for name in non_seizure:
        if name != "postictal":
            activity += non_seizure_activity(rng, name, n_samples, sfreq, channels, tr) * outside

    if "postictal" in non_seizure and seizures:
        field = generalized_field(channels)[:, None]
        starts = [s.start for s in seizures[1:]] + [n_samples / sfreq]
        for s, next_start in zip(seizures, starts, strict=True):
            suppression = rng.uniform(*TYPES_BY_NAME[s.kind].suppression_s)
            length_s = min(suppression + tr.postictal_decay_s, next_start - s.stop)
            a = int(round(s.stop * sfreq))
            b = min(a + int(length_s * sfreq), n_samples)
            if b > a:
                delta, gain = pt.postictal_course(
                    rng, b - a, sfreq, suppression, tr.postictal_decay_s
                )
                activity[:, a:b] += (
                    rng.uniform(1.5, 2.5) * tr.background_rms * field * delta[None, :]
                )
                background_gain[a:b] *= gain

    look_alikes, events = confusers(rng, n_samples, sfreq, channels, tr, seizures, confuser_rate)
    data = background * background_gain[None, :] + activity + look_alikes * outside
    return data, events

"""Figures of the case page, drawn with matplotlib and returned unsaved.

Every function takes plain arrays and returns one titled :class:`~matplotlib.figure.Figure`
with labelled axes (units stated), sized to read at :data:`pipeline.plotting.DPI`; the
caller saves it (:func:`pipeline.plotting.save_figure`) or embeds it
(:func:`pipeline.explain.page.figure_data_uri`), which also closes it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FormatStrFormatter, MultipleLocator

from pipeline.plotting import plt

#: Colour of detected events and predicted concepts.
DETECTED_COLOUR = "tab:red"
#: Colour of annotated (reference) seizures.
REFERENCE_COLOUR = "tab:blue"
#: Colour of concepts below the threshold.
BELOW_COLOUR = "0.72"


def event_interval(event) -> tuple[float, float]:
    """``(onset_s, duration_s)`` of an event given as an object or as a mapping, in seconds."""
    if isinstance(event, Mapping):
        return float(event["onset_s"]), float(event["duration_s"])
    return float(event.onset_s), float(event.duration_s)


def _time_unit(duration_s: float) -> tuple[float, str]:
    """Divisor and name of the time axis: seconds under 5 min, minutes otherwise."""
    return (1.0, "s") if duration_s < 300 else (60.0, "min")


def plot_seizure_probability(
    p_sz: np.ndarray,
    window_s: float,
    events: Sequence,
    threshold: float,
    title: str,
    *,
    reference: Sequence[tuple[float, float]] | None = None,
    origin: str = "recording start",
) -> Figure:
    """Seizure probability of every window over the recording, with detections shaded.

    ``origin`` names what time 0 is (a held-out crop's page: its start).

    Parameters
    ----------
    p_sz : ndarray, shape (n_windows,)
        Seizure probability of each window, in [0, 1]; window ``t`` covers
        ``[t * window_s, (t + 1) * window_s)`` seconds.
    window_s : float
        Window length in seconds.
    events : sequence
        Detected events: objects with ``onset_s`` and ``duration_s`` attributes, or
        mappings with those keys (seconds from recording start); shaded in red.
    threshold : float
        Decision threshold on ``p_sz``, drawn dashed.
    title : str
    reference : sequence of (float, float), optional
        Annotated seizures as ``(start_s, end_s)`` in seconds, drawn as a blue bar above
        the curve.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; ``ax.lines`` holds the probability curve and the threshold line.
    """
    p_sz = np.asarray(p_sz, dtype=float).ravel()
    duration = len(p_sz) * window_s
    scale, unit = _time_unit(duration)
    edges = np.arange(len(p_sz) + 1) * window_s / scale
    fig, ax = plt.subplots(figsize=(11, 3.6))
    if len(p_sz):
        ax.plot(edges, np.append(p_sz, p_sz[-1]), drawstyle="steps-post", lw=1.0, color="black",
                label="p(seizure) per window")  # fmt: skip
    ax.axhline(threshold, ls="--", lw=1.2, color="0.35", label=f"threshold ({threshold:.2f})")
    for k, event in enumerate(events):
        onset, length = event_interval(event)
        ax.axvspan(onset / scale, (onset + length) / scale, color=DETECTED_COLOUR, alpha=0.25,
                   lw=0, label="detected event" if k == 0 else None)  # fmt: skip
    for k, (start, end) in enumerate(reference or ()):
        ax.axvspan(start / scale, end / scale, ymin=0.91, ymax=0.98, color=REFERENCE_COLOUR,
                   lw=0, label="annotated seizure" if k == 0 else None)  # fmt: skip
    ax.set_xlim(0, max(duration, window_s) / scale)
    ax.set_ylim(-0.02, 1.15)
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel(f"time from {origin} ({unit})")
    ax.set_ylabel("p(seizure)")
    ax.set_title(title)
    ax.grid(axis="y", color="0.9", lw=0.6)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9, frameon=False)
    fig.tight_layout()
    return fig


#: Mantissas of the default trace spacings, as on clinical EEG sensitivity dials.
_NICE_STEPS = (1, 1.5, 2, 3, 5, 7, 10)


def _nice(value: float) -> float:
    """The smallest of 1, 1.5, 2, 3, 5, 7 x 10^k that is at least ``value`` (> 0)."""
    exponent = math.floor(math.log10(value))
    for step in _NICE_STEPS:
        if step * 10.0**exponent >= value * (1 - 1e-9):
            return step * 10.0**exponent
    return 10.0 ** (exponent + 1)  # pragma: no cover - the loop always returns


def trace_spacing_uv(signals: np.ndarray) -> float:
    """Default distance between neighbouring traces, in µV.

    Eight times the median absolute amplitude of the median-centred traces (about
    5.4 standard deviations of Gaussian EEG), rounded up to 1, 1.5, 2, 3, 5 or 7 x 10^k; robust
    to a few artefacts. 1 µV for flat or empty input.
    """
    signals = np.asarray(signals, dtype=float)
    if signals.size == 0:
        return 1.0
    centred = signals - np.median(signals, axis=1, keepdims=True)
    amplitude = float(np.median(np.abs(centred[np.isfinite(centred)]))) if centred.size else 0.0
    return _nice(8 * amplitude) if amplitude > 0 else 1.0


def plot_eeg_excerpt(
    signals: np.ndarray,
    fs: float,
    labels: Sequence[str],
    start_s: float,
    title: str,
    scale_uv: float | None = None,
    origin: str = "recording start",
) -> Figure:
    """A stacked-trace EEG excerpt, read like a clinical EEG viewer (``origin``: time 0).

    Each trace is centred on its median and drawn as a thin black line, top to bottom
    in the order of ``labels``; neighbouring baselines are ``scale_uv`` apart, and a
    vertical scale bar of that height sits right of the traces. Light vertical lines
    mark every second.

    Parameters
    ----------
    signals : ndarray, shape (n_traces, n_samples)
        Excerpt in microvolts (19 referential channels or 18 bipolar derivations).
    fs : float
        Sampling rate in Hz.
    labels : sequence of str
        Name of each trace, shown on the y axis.
    start_s : float
        Time of the first sample, in seconds from recording start.
    title : str
    scale_uv : float, optional
        Distance between neighbouring baselines and height of the scale bar, in µV;
        by default :func:`trace_spacing_uv` of ``signals``.

    Returns
    -------
    matplotlib.figure.Figure
        One axes; ``ax.lines`` holds exactly one line per trace.

    Raises
    ------
    ValueError
        If ``signals`` is not 2-D or the label count differs from its row count.
    """
    signals = np.asarray(signals, dtype=float)
    if signals.ndim != 2:
        raise ValueError(f"signals must be 2-D (n_traces, n_samples), got shape {signals.shape}")
    n_traces, n_samples = signals.shape
    if len(labels) != n_traces:
        raise ValueError(f"{len(labels)} labels for {n_traces} traces")
    spacing = float(scale_uv) if scale_uv is not None else trace_spacing_uv(signals)
    centred = signals - np.median(signals, axis=1, keepdims=True) if n_samples else signals
    times = start_s + np.arange(n_samples) / fs
    end_s = start_s + n_samples / fs
    baselines = -spacing * np.arange(n_traces)
    fig, ax = plt.subplots(figsize=(11, max(3.0, 0.3 * n_traces + 1.3)))
    for trace, base in zip(centred, baselines, strict=True):
        ax.plot(times, trace + base, color="black", lw=0.5 if n_samples / fs <= 30 else 0.35)
    ax.set_yticks(baselines, [str(label) for label in labels], fontsize=8)
    ax.set_ylim(-spacing * (n_traces - 0.3), spacing * 0.9)
    ax.set_xlim(start_s, end_s)
    duration = end_s - start_s
    if duration <= 120:
        major = next(step for step in (1, 2, 5, 10, 20) if duration / step <= 15)
        ax.xaxis.set_major_locator(MultipleLocator(major))
        ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
        ax.xaxis.set_minor_locator(MultipleLocator(1.0))
        ax.grid(axis="x", which="minor", color="0.88", lw=0.5)
    ax.grid(axis="x", which="major", color="0.75", lw=0.6)
    ax.set_axisbelow(True)
    ax.tick_params(axis="y", length=0)
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    # Scale bar right of the traces: x in axes fraction, y in µV (data units).
    bar_top = baselines[-1] + spacing / 2 if n_traces else spacing / 2
    ax.vlines(1.012, bar_top - spacing, bar_top, transform=ax.get_yaxis_transform(),
              color="black", lw=2.0, clip_on=False)  # fmt: skip
    ax.text(1.02, bar_top - spacing / 2, f"{spacing:g} µV", transform=ax.get_yaxis_transform(),
            va="center", ha="left", fontsize=9)  # fmt: skip
    ax.set_xlabel(f"time from {origin} (s)")
    ax.set_title(title)
    fig.tight_layout()
    return fig


def plot_concept_probabilities(
    names: Sequence[str], probabilities: Sequence[float], threshold: float, title: str
) -> Figure:
    """Horizontal bars of concept probabilities, highest on top, predicted ones in red.

    Parameters
    ----------
    names : sequence of str
        Concept names.
    probabilities : sequence of float
        Probability of each concept, in [0, 1].
    threshold : float
        A concept is predicted when its probability is at least ``threshold``; drawn
        as a dashed vertical line.
    title : str

    Returns
    -------
    matplotlib.figure.Figure
        One axes; ``ax.patches`` holds one bar per concept, ``ax.lines`` the threshold.
    """
    probabilities = np.asarray(probabilities, dtype=float).ravel()
    if len(names) != len(probabilities):
        raise ValueError(f"{len(names)} names for {len(probabilities)} probabilities")
    order = np.argsort(probabilities, kind="stable")  # ascending: barh draws bottom-up
    values = probabilities[order]
    shown = [str(names[i]) for i in order]
    predicted = values >= threshold
    colours = [DETECTED_COLOUR if p else BELOW_COLOUR for p in predicted]
    fig, ax = plt.subplots(figsize=(7.5, max(2.5, 0.28 * len(shown) + 1.4)))
    ax.barh(np.arange(len(shown)), values, color=colours, height=0.7)
    for y, value in enumerate(values):
        ax.text(min(value, 1.0) + 0.01, y, f"{value:.2f}", va="center", fontsize=8, zorder=3,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.6})  # fmt: skip
    ax.axvline(threshold, ls="--", lw=1.2, color="0.25")
    ax.set_yticks(np.arange(len(shown)), shown, fontsize=9)
    ax.set_ylim(-0.6, len(shown) - 0.4)
    ax.set_xlim(0, 1.1)
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel("concept probability")
    ax.set_title(title)
    ax.legend(handles=[
        Patch(color=DETECTED_COLOUR, label=f"predicted (≥ {threshold:.2f})"),
        Patch(color=BELOW_COLOUR, label="not predicted"),
        plt.Line2D([], [], ls="--", color="0.25", label="threshold"),
    ], loc="lower right", fontsize=8, framealpha=0.9)  # fmt: skip
    fig.tight_layout()
    return fig


def plot_similarity_over_time(
    similarity: np.ndarray,
    names: Sequence[str],
    window_s: float,
    events: Sequence,
    title: str,
) -> Figure:
    """Cosine similarity S_nt of every window to every concept over the recording.

    Parameters
    ----------
    similarity : ndarray, shape (n_windows, n_concepts)
        S_nt of the SzXAI head's aligned latent to each concept.
    names : sequence of str, length n_concepts
    window_s : float
        Window length in seconds.
    events : sequence
        Detected events (see :func:`event_interval`), marked above the map.
    title : str
    """
    similarity = np.asarray(similarity, dtype=float)
    n_windows, n_concepts = similarity.shape
    scale, unit = _time_unit(n_windows * window_s)
    fig, ax = plt.subplots(figsize=(12, 0.3 * n_concepts + 1.8))
    extent = (0, n_windows * window_s / scale, n_concepts - 0.5, -0.5)
    image = ax.imshow(similarity.T, aspect="auto", cmap="viridis", extent=extent,
                      interpolation="nearest")  # fmt: skip
    for event in events:
        onset, duration = event_interval(event)
        ax.axvspan(onset / scale, (onset + duration) / scale, ymin=1.0, ymax=1.03,
                   color=DETECTED_COLOUR, clip_on=False)  # fmt: skip
    ax.set_yticks(range(n_concepts), names, fontsize=8)
    ax.set_xlabel(f"time ({unit}); red bars: detected seizure events")
    ax.set_title(title, pad=12)
    fig.colorbar(image, ax=ax, label="cosine similarity $S_{nt}$", pad=0.01)
    return fig

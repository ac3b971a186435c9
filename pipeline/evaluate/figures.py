"""The report figures (spec section 9), as PNG files made with matplotlib.

Every function takes plain arrays, draws one titled and labelled figure and
writes it atomically; none reads pipeline files, so each is testable alone.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
from sklearn.manifold import TSNE

from pipeline.evaluate.events import true_runs
from pipeline.plotting import save_figure
from pipeline.registry import CONCEPT_GROUPS


def plot_group_confusion(
    matrix: np.ndarray, groups: Sequence[str], title: str, path: str | Path
) -> Path:
    """Row-normalised confusion of true vs predicted etiology group (paper Fig 3a).

    Parameters
    ----------
    matrix : ndarray, shape (n_groups, n_groups)
        Counts; rows are true groups, columns predicted groups.
    groups : sequence of str
    title : str
    path : str or Path
    """
    counts = np.asarray(matrix, dtype=float)
    rows = counts.sum(axis=1, keepdims=True)
    share = np.divide(counts, rows, out=np.zeros_like(counts), where=rows > 0)
    fig, ax = plt.subplots(figsize=(5.2, 4.4))
    image = ax.imshow(share, vmin=0, vmax=1, cmap="Blues")
    for i in range(len(groups)):
        for j in range(len(groups)):
            colour = "white" if share[i, j] > 0.6 else "black"
            ax.text(j, i, f"{share[i, j]:.2f}\n({int(counts[i, j])})", ha="center",
                    va="center", fontsize=8, color=colour)  # fmt: skip
    ax.set_xticks(range(len(groups)), groups, rotation=30, ha="right")
    ax.set_yticks(range(len(groups)), groups)
    ax.set_xlabel("predicted etiology group")
    ax.set_ylabel("true etiology group")
    ax.set_title(title)
    fig.colorbar(image, ax=ax, label="fraction of the true group's crops")
    return save_figure(fig, path)


#: Fixed colours of the etiology groups (in the registry's order), so every figure
#: reads the same way; ``none`` for crops without a present concept.
GROUP_COLOURS: dict[str, str] = {
    **dict(zip(CONCEPT_GROUPS, ("tab:red", "tab:orange", "tab:purple", "tab:blue"), strict=True)),
    "none": "0.55",
}


def _group_colour(name: str, k: int) -> str:
    return GROUP_COLOURS.get(name, f"C{k % 10}")


def plot_tsne(
    latents: np.ndarray,
    groups: np.ndarray,
    seizure: np.ndarray,
    title: str,
    path: str | Path,
    seed: int,
) -> Path:
    """t-SNE of aligned window latents h~_t (paper Fig 3b).

    One embedding, two panels: non-seizure windows and seizure windows, each
    coloured by etiology group over the other panel's windows in light grey.

    Parameters
    ----------
    latents : ndarray, shape (n_windows, d)
    groups : ndarray of str, shape (n_windows,)
        Etiology group of each window.
    seizure : ndarray of bool, shape (n_windows,)
        Ground-truth seizure label of each window.
    title : str
    path : str or Path
    seed : int
        Seed of the t-SNE initialisation.
    """
    groups = np.asarray(groups).astype(str)
    seizure = np.asarray(seizure, dtype=bool)
    perplexity = float(min(30, max(2, (len(latents) - 1) // 4)))
    embedded = TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=seed
    ).fit_transform(np.asarray(latents, dtype=np.float32))
    names = [g for g in GROUP_COLOURS if g in set(groups)]
    names += sorted(set(groups) - set(names))
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), sharex=True, sharey=True)
    for ax, state, label in ((axes[0], False, "non-seizure"), (axes[1], True, "seizure")):
        here = seizure == state
        ax.scatter(*embedded[~here].T, s=4, c="0.88", label="other windows", rasterized=True)
        for k, name in enumerate(names):
            mask = here & (groups == name)
            if mask.any():
                ax.scatter(*embedded[mask].T, s=7, alpha=0.8, c=_group_colour(name, k),
                           label=f"{name} ({mask.sum()})", rasterized=True)  # fmt: skip
        ax.set_title(f"{label} windows ({here.sum()})")
        ax.set_xlabel("t-SNE 1 (a.u.)")
        ax.legend(markerscale=2.5, fontsize=8, title="etiology group", loc="best")
    axes[0].set_ylabel("t-SNE 2 (a.u.)")
    fig.suptitle(title)
    return save_figure(fig, path)


def plot_concept_heatmap(
    similarity: np.ndarray,
    concepts: Sequence[str],
    window_s: float,
    seizure: np.ndarray,
    true_concepts: np.ndarray,
    title: str,
    summary: str,
    path: str | Path,
    *,
    probs: np.ndarray | None = None,
    threshold: float = 0.5,
    sides: Sequence[str] | None = None,
    summary_label: str = "Summary (LLM)",
) -> Path:
    """Similarity of every window to every concept over time (paper Fig 4).

    Parameters
    ----------
    similarity : ndarray, shape (n_windows, n_concepts)
        Cosine similarity S_nt of the aligned latent to each concept.
    concepts : sequence of str
        Concept names, in column order.
    window_s : float
        Window length (s), for the time axis.
    seizure : ndarray of bool, shape (n_windows,)
        Ground-truth seizure windows; their intervals are drawn as bars.
    true_concepts : ndarray of bool, shape (n_concepts,)
        The patient's labels; their names are set in bold red.
    title, summary : str
        Figure title and the summary sentence printed under the heatmap.
    path : str or Path
    probs : ndarray, shape (n_concepts,), optional
        Predicted concept probabilities, drawn as bars beside the heatmap.
    threshold : float
        Prediction threshold, marked on the probability bars.
    sides : sequence of str, optional
        Side of each concept (``seizure`` / ``non-seizure``); a line separates them.
    summary_label : str
        What wrote the summary (the LLM, or the template fallback).
    """
    similarity = np.asarray(similarity)
    n_windows, n_concepts = similarity.shape
    extent = (0, n_windows * window_s, n_concepts - 0.5, -0.5)
    fig = plt.figure(figsize=(12, 6.5))
    grid = fig.add_gridspec(1, 3, width_ratios=[30, 5 if probs is not None else 0.01, 1],
                            wspace=0.06)  # fmt: skip
    ax = fig.add_subplot(grid[0, 0])
    image = ax.imshow(similarity.T, aspect="auto", cmap="viridis", extent=extent,
                      interpolation="nearest")  # fmt: skip
    for start, stop in _runs(np.asarray(seizure, dtype=bool)):
        ax.axvspan(start * window_s, stop * window_s, ymin=1.0, ymax=1.03, color="red",
                   clip_on=False)  # fmt: skip
        ax.axvline(start * window_s, color="red", lw=1.0, ls="--")
        ax.axvline(stop * window_s, color="red", lw=1.0, ls="--")
    ax.set_yticks(range(n_concepts), concepts, fontsize=9)
    for label, is_true in zip(ax.get_yticklabels(), true_concepts, strict=True):
        if is_true:
            label.set_color("tab:red")
            label.set_fontweight("bold")
    boundary = _side_boundary(sides)
    if boundary is not None:
        ax.axhline(boundary - 0.5, color="white", lw=1.5)
    ax.set_xlabel("time in crop (s); red bar and dashes: seizure (ground truth)")
    ax.set_ylabel("concept (bold red: in the patient's report)")
    ax.set_title(title, pad=14)
    if probs is not None:
        bars = fig.add_subplot(grid[0, 1], sharey=ax)
        predicted = np.asarray(probs) >= threshold
        # Dark bars: predicted; red is kept for the truth (the tick labels).
        bars.barh(range(n_concepts), probs, color=np.where(predicted, "0.15", "0.7"))
        bars.axvline(threshold, color="tab:red", lw=0.8, ls=":")
        bars.set_xlim(0, 1)
        bars.set_xticks([0, threshold, 1], ["0", f"{threshold:g}", "1"], fontsize=8)
        bars.set_xlabel(f"$p_c(n)$; dark: $\\geq${threshold:g}", fontsize=9)
        bars.tick_params(axis="y", left=False, labelleft=False)
        if boundary is not None:
            bars.axhline(boundary - 0.5, color="black", lw=0.8)
    fig.colorbar(image, cax=fig.add_subplot(grid[0, 2]), label="cosine similarity $S_{nt}$")
    fig.text(0.01, -0.01, _wrap(f"{summary_label}: {summary}", 150), ha="left", va="top",
             fontsize=10, style="italic")  # fmt: skip
    return save_figure(fig, path)


def _side_boundary(sides: Sequence[str] | None) -> int | None:
    """Index of the first concept of the second side, when sides form two blocks."""
    if sides is None:
        return None
    changes = [k for k in range(1, len(sides)) if sides[k] != sides[k - 1]]
    return changes[0] if len(changes) == 1 else None


def plot_concept_bars(
    values: Mapping[str, np.ndarray],
    concepts: Sequence[str],
    title: str,
    path: str | Path,
    *,
    sides: Sequence[str] | None = None,
    threshold: float = 0.5,
    positives: np.ndarray | None = None,
    chance: np.ndarray | None = None,
) -> Path:
    """Grouped bars of per-concept metrics (e.g. precision and recall).

    Parameters
    ----------
    values : mapping of str -> ndarray, shape (n_concepts,)
        Metric name -> value per concept (NaN: marked "n/a", no bar).
    concepts : sequence of str
    title : str
    path : str or Path
    sides : sequence of str, optional
        Side of each concept; a dashed line separates seizure and non-seizure concepts.
    threshold : float
        Prediction threshold the metrics were computed at (for the axis label).
    positives : ndarray of int, shape (n_concepts,), optional
        Crops with the concept, shown under each name ("n+ = 12").
    chance : ndarray, shape (n_concepts,), optional
        A score a predictor without information reaches (precision: the
        prevalence), drawn as a black tick across each concept's bars.
    """
    x = np.arange(len(concepts))
    width = 0.8 / max(1, len(values))
    fig, ax = plt.subplots(figsize=(12, 5))
    for k, (name, v) in enumerate(values.items()):
        offset = x + (k - (len(values) - 1) / 2) * width
        v = np.asarray(v, dtype=float)
        ax.bar(offset, np.nan_to_num(v), width, label=name, color=f"C{k}")
        for xi in offset[np.isnan(v)]:
            ax.text(xi, 0.01, "n/a", rotation=90, ha="center", va="bottom", fontsize=7)
    if chance is not None:
        ax.hlines(chance, x - 0.42, x + 0.42, color="black", lw=1.5,
                  label="chance precision (prevalence)")  # fmt: skip
    names = list(concepts) if positives is None else [
        f"{c} (n+ = {int(n)})" for c, n in zip(concepts, positives, strict=True)
    ]  # fmt: skip
    ax.set_xticks(x, names, rotation=40, ha="right", rotation_mode="anchor", fontsize=9)
    boundary = _side_boundary(sides)
    if boundary is not None:
        ax.axvline(boundary - 0.5, color="black", lw=0.8, ls="--")
        for xpos, text in ((boundary / 2 - 0.5, sides[0]), ((boundary + len(x)) / 2 - 0.5,
                                                             sides[-1])):  # fmt: skip
            ax.text(xpos, 1.08, f"{text} concepts", ha="center", fontsize=9)
    ax.set_xlim(-0.6, len(x) - 0.4)
    ax.set_ylim(0, 1.15)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel(f"score (held-out crops, p >= {threshold:g})")
    ax.set_title(title)
    # Below the concept names: the side labels sit at the top of each half.
    ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.40),
              ncols=len(values) + (chance is not None), frameon=False)  # fmt: skip
    ax.grid(axis="y", alpha=0.3)
    return save_figure(fig, path)


def plot_roc(
    curves: Mapping[str, tuple[np.ndarray, np.ndarray, float]], title: str, path: str | Path
) -> Path:
    """ROC curves of the detectors.

    Parameters
    ----------
    curves : mapping of str -> (fpr, tpr, auroc)
    title : str
    path : str or Path
    """
    fig, ax = plt.subplots(figsize=(6, 5))
    # Log false-positive axis: a detector is used at low false-alarm rates, which a
    # linear axis squeezes into its left edge.
    floor = 1e-4
    for name, (fpr, tpr, auroc) in curves.items():
        ax.plot(np.maximum(fpr, floor), tpr, label=f"{name} (AUROC {auroc:.3f})")
    grid = np.logspace(np.log10(floor), 0, 50)
    ax.plot(grid, grid, color="gray", ls=":", label="chance")
    ax.set_xscale("log")
    ax.set_xlim(floor, 1)
    ax.set_ylim(0, 1.01)
    ax.set_xlabel(f"false positive rate (windows, log; < {floor:g} drawn at {floor:g})")
    ax.set_ylabel("true positive rate (windows)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(True, which="both", lw=0.3)
    return save_figure(fig, path)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs of True in a boolean vector."""
    return list(zip(*true_runs(mask), strict=True))


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))


def plot_event_operating_curve(
    curves: Mapping[str, Sequence[dict]],
    operating: Mapping[str, dict],
    title: str,
    path: str | Path,
) -> Path:
    """Event sensitivity against false alarms per 24 h over p_sz thresholds, per detector.

    Parameters
    ----------
    curves : mapping of str -> sequence of dict
        Per detector, one dict per threshold with ``threshold``, ``sensitivity``
        and ``fp_per_24h`` (SzCORE event scoring).
    operating : mapping of str -> dict
        Per detector, the same keys at the threshold used (marked).
    title : str
    path : str or Path
    """
    fig, ax = plt.subplots(figsize=(6, 4.5))
    floor = 0.1  # zero false alarms drawn at the left edge of the log axis
    for name, points in curves.items():
        fa = [max(p["fp_per_24h"], floor) for p in points if p["sensitivity"] is not None]
        sens = [p["sensitivity"] for p in points if p["sensitivity"] is not None]
        (line,) = ax.plot(fa, sens, marker=".", label=name)
        point = operating[name]
        ax.plot(max(point["fp_per_24h"], floor), point["sensitivity"], marker="o", ms=9,
                mfc="none", color=line.get_color(),
                label=f"{name} at p_sz >= {point['threshold']:g}")  # fmt: skip
    ax.set_xscale("log")
    drawn = [max(p["fp_per_24h"], floor) for ps in curves.values() for p in ps]
    low, high = min(drawn) / 1.5, max(drawn) * 1.5
    ticks = [t for t in (0.1, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000) if low <= t <= high]
    ax.set_xlim(low, high)
    ax.set_xticks(ticks, [f"{t:g}" for t in ticks])
    ax.minorticks_off()
    ax.set_xlabel("false alarms per 24 h (log; 0 drawn at 0.1)")
    ax.set_ylabel("event sensitivity (any overlap)")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title)
    ax.grid(True, which="both", lw=0.3)
    ax.legend(loc="lower right", fontsize=8)
    return save_figure(fig, path)

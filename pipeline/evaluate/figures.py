"""The report figures (spec section 9), as PNG files made with matplotlib.

Every function takes plain arrays, draws one titled and labelled figure and
writes it atomically; none reads pipeline files, so each is testable alone.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: figures are files, never windows

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.manifold import TSNE  # noqa: E402

from pipeline.io.atomic import atomic_path  # noqa: E402

DPI = 150


def save_figure(fig: plt.Figure, path: str | Path) -> Path:
    """Write ``fig`` as PNG atomically and close it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return path


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


def plot_tsne(
    latents: np.ndarray,
    groups: np.ndarray,
    seizure: np.ndarray,
    title: str,
    path: str | Path,
    seed: int,
) -> Path:
    """t-SNE of aligned window latents h~_t (paper Fig 3b), two panels.

    Parameters
    ----------
    latents : ndarray, shape (n_windows, d)
    groups : ndarray of str, shape (n_windows,)
        Etiology group of each window's crop (its dominant true group).
    seizure : ndarray of bool, shape (n_windows,)
        Ground-truth seizure label of each window.
    title : str
    path : str or Path
    seed : int
        Seed of the t-SNE initialisation.
    """
    perplexity = float(min(30, max(5, (len(latents) - 1) // 4)))
    embedded = TSNE(
        n_components=2, perplexity=perplexity, init="pca", random_state=seed
    ).fit_transform(np.asarray(latents, dtype=np.float32))
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.8), sharex=True, sharey=True)
    for name in sorted(set(groups)):
        mask = groups == name
        axes[0].scatter(*embedded[mask].T, s=6, alpha=0.7, label=name)
    axes[0].set_title("coloured by etiology group")
    axes[0].legend(markerscale=3, fontsize=8, title="group")
    for value, name, colour in ((False, "non-seizure", "tab:gray"), (True, "seizure", "tab:red")):
        mask = seizure == value
        axes[1].scatter(*embedded[mask].T, s=6, alpha=0.6, c=colour, label=name)
    axes[1].set_title("coloured by seizure state")
    axes[1].legend(markerscale=3, fontsize=8, title="window")
    for ax in axes:
        ax.set_xlabel("t-SNE 1")
    axes[0].set_ylabel("t-SNE 2")
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
        Figure title and the LLM-written summary printed under the heatmap.
    path : str or Path
    """
    similarity = np.asarray(similarity)
    n_windows = similarity.shape[0]
    extent = (0, n_windows * window_s, len(concepts) - 0.5, -0.5)
    fig, ax = plt.subplots(figsize=(11, 6))
    image = ax.imshow(similarity.T, aspect="auto", cmap="viridis", extent=extent,
                      interpolation="nearest")  # fmt: skip
    for start, stop in _runs(np.asarray(seizure, dtype=bool)):
        ax.axvspan(start * window_s, stop * window_s, ymin=1.0, ymax=1.03, color="red",
                   clip_on=False)  # fmt: skip
        ax.axvline(start * window_s, color="red", lw=0.8, ls="--")
        ax.axvline(stop * window_s, color="red", lw=0.8, ls="--")
    ax.set_yticks(range(len(concepts)), concepts, fontsize=8)
    for label, is_true in zip(ax.get_yticklabels(), true_concepts, strict=True):
        if is_true:
            label.set_color("tab:red")
            label.set_fontweight("bold")
    ax.set_xlabel("time in crop (s); red dashes: seizure onset / offset")
    ax.set_ylabel("concept (bold red: in the patient's report)")
    ax.set_title(title, pad=14)
    fig.colorbar(image, ax=ax, label="cosine similarity S_nt")
    fig.text(
        0.01,
        -0.02,
        _wrap(f"Summary (LLM): {summary}", 140),
        ha="left",
        va="top",
        fontsize=9,
        style="italic",
    )
    return save_figure(fig, path)


def plot_concept_bars(
    values: Mapping[str, np.ndarray], concepts: Sequence[str], title: str, path: str | Path
) -> Path:
    """Grouped bars of per-concept metrics (e.g. precision and recall).

    Parameters
    ----------
    values : mapping of str -> ndarray, shape (n_concepts,)
        Metric name -> value per concept (NaN bars are left empty).
    concepts : sequence of str
    title : str
    path : str or Path
    """
    x = np.arange(len(concepts))
    width = 0.8 / max(1, len(values))
    fig, ax = plt.subplots(figsize=(12, 4.5))
    for k, (name, v) in enumerate(values.items()):
        ax.bar(x + (k - (len(values) - 1) / 2) * width, np.nan_to_num(v), width, label=name)
    ax.set_xticks(x, concepts, rotation=45, ha="right", fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score (held-out crops, threshold 0.5)")
    ax.set_xlabel("concept")
    ax.set_title(title)
    ax.legend(fontsize=8)
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
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, (fpr, tpr, auroc) in curves.items():
        ax.plot(fpr, tpr, label=f"{name} (AUROC {auroc:.3f})")
    ax.plot([0, 1], [0, 1], color="gray", ls=":", label="chance")
    ax.set_xlabel("false positive rate (windows)")
    ax.set_ylabel("true positive rate (windows)")
    ax.set_title(title)
    ax.legend(loc="lower right", fontsize=8)
    ax.set_aspect("equal")
    return save_figure(fig, path)


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, stop) index pairs of the runs of True in a boolean vector."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width))

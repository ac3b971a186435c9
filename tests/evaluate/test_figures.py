"""Group confusion logic and that every figure renders to a real PNG."""

import numpy as np
from PIL import Image

from pipeline.evaluate.figures import (
    plot_concept_bars,
    plot_concept_heatmap,
    plot_group_confusion,
    plot_roc,
    plot_tsne,
)
from pipeline.evaluate.groups import dominant_group, group_confusion

GROUPS = ["spiking", "rhythmic"]
CONCEPT_GROUPS = ["spiking", "spiking", "rhythmic"]


def test_group_confusion_hand_counted():
    labels = np.array([[1, 1, 0], [0, 0, 1], [1, 0, 1], [0, 0, 0]])
    probs = np.array([[0.9, 0.8, 0.1], [0.9, 0.9, 0.2], [0.1, 0.1, 0.9], [1, 1, 1]])
    # crop 0: true spiking, predicted spiking; crop 1: rhythmic -> spiking;
    # crop 2: tie (0.5 vs 1.0) -> rhythmic true, predicted rhythmic; crop 3: no label, skipped.
    matrix = group_confusion(labels, probs, CONCEPT_GROUPS, GROUPS)
    np.testing.assert_array_equal(matrix, [[1, 0], [1, 1]])
    assert dominant_group(labels, CONCEPT_GROUPS, GROUPS).tolist() == [
        "spiking", "rhythmic", "rhythmic", "none",
    ]  # fmt: skip


def _is_png(path, min_size=(300, 300)):
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.size[0] >= min_size[0] and image.size[1] >= min_size[1]


def test_every_figure_renders(tmp_path):
    rng = np.random.default_rng(0)
    _is_png(plot_group_confusion(np.array([[3, 1], [0, 2]]), GROUPS, "t", tmp_path / "c.png"))
    latents = rng.normal(size=(60, 8))
    groups = np.array(["a", "b"] * 30)
    _is_png(plot_tsne(latents, groups, rng.random(60) < 0.3, "t", tmp_path / "t.png", seed=0))
    names = [f"concept {i}" for i in range(20)]
    seizure = np.zeros(120, bool)
    seizure[40:70] = True
    _is_png(
        plot_concept_heatmap(rng.random((120, 20)), names, 1.0, seizure,
                             np.arange(20) < 3, "t", "A summary.", tmp_path / "h.png")
    )  # fmt: skip
    values = {"recall": rng.random(20), "precision": np.full(20, np.nan)}
    _is_png(plot_concept_bars(values, names, "t", tmp_path / "b.png"))
    curve = (np.array([0, 0.5, 1]), np.array([0, 0.9, 1]), 0.7)
    _is_png(plot_roc({"deepsoz": curve}, "t", tmp_path / "r.png"))

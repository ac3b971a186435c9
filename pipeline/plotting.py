"""Figure saving: the one way a figure of the pipeline becomes a file.

matplotlib runs headless (``Agg``): figures are files, never windows.
"""

from __future__ import annotations

import base64
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from pipeline.io.atomic import atomic_path  # noqa: E402

#: Resolution of the report figures (spec section 9), in dots per inch.
DPI = 150


def png_data_uri(png: bytes) -> str:
    """PNG bytes as a base64 ``data:image/png`` URI (a figure inside a self-contained page)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def save_figure(fig: plt.Figure, path: str | Path, dpi: int = DPI, tight: bool = True) -> Path:
    """Write ``fig`` as PNG atomically and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    path : str or Path
        Parent folders are created.
    dpi : int
        Resolution in dots per inch.
    tight : bool
        Crop the canvas to the drawn content (``bbox_inches="tight"``).
    """
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches="tight" if tight else None)
    plt.close(fig)
    return path

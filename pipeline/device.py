"""Choice of the torch device, shared by every stage that runs a model."""

from __future__ import annotations

from typing import Literal

import torch

DeviceChoice = Literal["auto", "cpu", "cuda"]


def resolve_device(choice: DeviceChoice | str = "auto") -> torch.device:
    """Turn the ``device`` parameter into a torch device.

    Parameters
    ----------
    choice : {"auto", "cpu", "cuda"}
        ``auto`` takes the GPU when torch sees one and the CPU otherwise.

    Returns
    -------
    torch.device

    Raises
    ------
    ValueError
        For ``cuda`` on a machine without a usable GPU (better than a silent
        and much slower CPU run), or an unknown choice.
    """
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice == "cuda":
        if not torch.cuda.is_available():
            raise ValueError("device: 'cuda' was asked for but torch sees no CUDA GPU")
        return torch.device("cuda")
    raise ValueError(f"device: expected 'auto', 'cpu' or 'cuda', got {choice!r}")

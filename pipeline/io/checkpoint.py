"""Torch checkpoints whose bytes depend only on what they hold."""

from __future__ import annotations

import io

import torch


def checkpoint_bytes(obj: object) -> bytes:
    """``torch.save`` of ``obj``, in memory.

    Saved to a path, torch names the folder inside its zip archive after the
    file, and every output here is first written to a randomly named temporary
    (:mod:`pipeline.io.atomic`): the same weights would get new bytes, and DVC
    a new hash, on every run. Saved to a buffer, that folder is always
    ``archive``.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    return buffer.getvalue()

"""The final SzXAI head of a detector: saved with its concept space, loaded to explain.

After cross-validation, one head per detector is trained on every labelled cv
patient with the method and hyper-parameters of the folds (spec section 12).
The checkpoint holds everything :mod:`pipeline.explain` needs besides the
frozen detector: the head's weights, its slot (method, lambda1, lambda2, seed),
the concept names, sides and embeddings it was trained against, and the
training record.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from pipeline.config import TrainParams
from pipeline.io.atomic import atomic_path
from pipeline.io.checkpoint import checkpoint_bytes
from pipeline.szxai.data import ConceptSpace
from pipeline.szxai.methods import METHOD_SPECS, MethodStack, Slot

#: File name of the head checkpoint inside :func:`final_dir`.
HEAD_FILE = "head.pt"
#: Its human-readable training record beside it.
RECORD_FILE = "head.json"


def final_dir(params: TrainParams, detector: str) -> Path:
    """``<train.out_dir>/<detector>/final``: the one output of ``final@<detector>``."""
    return Path(params.out_dir) / detector / "final"


@dataclass(frozen=True)
class FinalHead:
    """A trained single-slot :class:`MethodStack` and what it was trained on.

    Attributes
    ----------
    stack : MethodStack
        One slot, in eval mode, on the requested device.
    concepts : ConceptSpace
        The concept space of the stack (names, embeddings E, sides).
    record : dict
        Detector, latent layer and size, split sizes, epochs, hyper-parameters.
    """

    stack: MethodStack
    concepts: ConceptSpace
    record: dict


def save_head(path: Path, stack: MethodStack, concepts: ConceptSpace, record: dict) -> None:
    """Write a single-slot stack, its concept space and ``record`` as one checkpoint."""
    (slot,) = stack.slots
    payload = {
        "state_dict": {k: v.detach().cpu() for k, v in stack.state_dict().items()},
        "slot": {"method": slot.method.name, "lambda1": slot.lambda1,
                 "lambda2": slot.lambda2, "seed": slot.seed},
        "concepts": {"names": list(concepts.names),
                     "embeddings": torch.from_numpy(concepts.embeddings.copy()),
                     "seizure": torch.from_numpy(concepts.seizure.copy())},
        "record": record,
    }  # fmt: skip
    data = checkpoint_bytes(payload)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)


def load_head(path: str | Path, params: TrainParams, device: torch.device) -> FinalHead:
    """The head saved by :func:`save_head`, rebuilt with ``params.hidden`` and loaded strict.

    Raises
    ------
    ValueError
        When the file is not a head checkpoint, or one saved before a tensor the
        head now has (names the file and the missing keys).
    """
    payload = torch.load(path, map_location="cpu", weights_only=True)
    missing = {"state_dict", "slot", "concepts", "record"} - set(payload)
    if missing:
        raise ValueError(f"{path}: not a final head checkpoint (missing {sorted(missing)})")
    spec = payload["slot"]
    slot = Slot(METHOD_SPECS[spec["method"]], spec["lambda1"], spec["lambda2"], spec["seed"])
    space = payload["concepts"]
    concepts = ConceptSpace(
        names=list(space["names"]),
        embeddings=space["embeddings"].numpy().astype(np.float32),
        seizure=space["seizure"].numpy().astype(bool),
    )
    latent_dim = int(payload["record"]["latent_dim"])
    stack = MethodStack([slot], latent_dim, concepts, params)
    absent = sorted(set(stack.state_dict()) - set(payload["state_dict"]))
    if absent:
        raise ValueError(
            f"{path}: saved by an older version of the pipeline (no {', '.join(absent)}); "
            "`dvc repro` retrains it"
        )
    stack.load_state_dict(payload["state_dict"], strict=True)
    stack.eval()
    return FinalHead(stack.to(device), concepts, payload["record"])

"""The eight methods of Table 1: SzXAI, its ablations and two baselines (spec section 8).

All are trained on the same folds and the same frozen detector latents, with
the same optimiser, epochs (or early stopping, when ``patience`` is set) and
L2 penalty; they differ only in the fields of :class:`Method`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from torch import nn

from pipeline.config import METHODS, TrainParams
from pipeline.szxai.data import ConceptSpace
from pipeline.szxai.models import Pooling, TimeAveragedProjection, WindowConceptHead


@dataclass(frozen=True)
class Method:
    """One row of Table 1.

    Attributes
    ----------
    name : str
    architecture : {"window-head", "time-averaged"}
        ``window-head``: :class:`WindowConceptHead` (per-window similarity, then
        pooling); ``time-averaged``: :class:`TimeAveragedProjection`.
    encoder : {"mlp", "linear"}
        Window encoder of a window head: the three-layer f_NN or one Linear.
    pooling : {"attention", "avg", "max"}
    weighted_bce : bool
        L_CP with the training-fold concept weights (Eq. 3), else plain BCE.
    alignment : bool
        Whether L_KNBC is added with weight lambda1 (else lambda1 = 0).
    description : str
        One line for the reports.
    """

    name: str
    architecture: Literal["window-head", "time-averaged"]
    encoder: Literal["mlp", "linear"]
    pooling: Pooling
    weighted_bce: bool
    alignment: bool
    description: str


def _szxai(name: str, pooling: Pooling, weighted: bool, alignment: bool, text: str) -> Method:
    return Method(name, "window-head", "mlp", pooling, weighted, alignment, text)


#: Every method by name, in Table 1 order.
METHOD_SPECS: dict[str, Method] = {
    m.name: m
    for m in (
        _szxai("szxai", "attention", True, True,
               "f_NN + cosine to concepts, p_sz attention pooling, weighted BCE + L_KNBC"),
        _szxai("szxai-avg", "avg", True, True, "SzXAI with average pooling over windows"),
        _szxai("szxai-max", "max", True, True, "SzXAI with max pooling over windows"),
        _szxai("szxai-nal", "attention", True, False, "SzXAI without the alignment loss"),
        _szxai("szxai-bce", "attention", False, True, "SzXAI with plain (unweighted) BCE"),
        _szxai("szxai-bce-nal", "attention", False, False,
               "SzXAI with plain BCE and no alignment loss"),
        Method("patricio", "time-averaged", "linear", "avg", False, False,
               "Patricio et al. [18]: Linear(time-mean of h_t) -> cosine to concepts, BCE"),
        Method("yan", "window-head", "linear", "avg", False, False,
               "Yan et al. [25]: per-window Linear -> cosine, time average, Linear, BCE"),
    )
}  # fmt: skip
assert tuple(METHOD_SPECS) == METHODS, "METHOD_SPECS and config.METHODS must agree"


def build_model(
    method: Method, latent_dim: int, concepts: ConceptSpace, params: TrainParams
) -> nn.Module:
    """A freshly initialised model of ``method`` (seed torch before calling).

    Parameters
    ----------
    method : Method
    latent_dim : int
        d_h of the detector latents.
    concepts : ConceptSpace
    params : TrainParams
        ``hidden`` and ``leaky_slope`` of the MLP encoder.
    """
    if method.architecture == "time-averaged":
        return TimeAveragedProjection(latent_dim, concepts.embeddings, concepts.seizure)
    return WindowConceptHead(
        latent_dim,
        concepts.embeddings,
        concepts.seizure,
        encoder=method.encoder,
        pooling=method.pooling,
        hidden=params.hidden,
        slope=params.leaky_slope,
    )

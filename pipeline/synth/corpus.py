"""Write a seeded synthetic corpus in the TUSZ v2 layout, with its hidden truth.

Layout (spec section 3)::

    <root>/{train,dev}/<subject>/s<NNN>_<YYYY>[_MM_DD]/<montage>/<subject>_s<NNN>_t<NNN>.edf
                                                                                        .csv_bi
    <root>/<split>/<subject>/<first session>/<subject>_<session>.txt   (one report per patient)

``pretrain`` patients go to ``train/``, ``cv`` patients to ``dev/``. The truth
(planted concepts, seizure intervals) is returned and written by
:func:`write_truth` to a file outside the data root.

Determinism: every patient draws from its own ``SeedSequence(seed,
spawn_key=(cohort, index))``, so a patient's data do not change when the
cohort sizes change, and no wall-clock time is written anywhere (EDF start
dates are drawn from the seed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pyedflib
from tqdm import tqdm

from pipeline.config import SynthParams
from pipeline.io.atomic import atomic_path
from pipeline.io.tusz import recording_id
from pipeline.registry import NON_SEIZURE_CONCEPTS, REFERENCE_CONCEPTS
from pipeline.synth.notes import NoteFacts, choose_distractors, write_note
from pipeline.synth.scalp import region_words, side_of
from pipeline.synth.signals import Seizure, Traits, build_recording, draw_traits, pink_noise
from pipeline.synth.types import (
    HFO,
    SECOND_TYPE_P,
    SEIZURE_TYPES,
    TYPES_BY_NAME,
    TypeDealer,
    draw_non_seizure,
    draw_type_plan,
)

#: cohort -> (split folder, seed code); a patient's streams depend on the code and its
#: index only, so adding a cohort leaves the others' files unchanged.
COHORTS = {"pretrain": ("train", 0), "cv": ("dev", 1), "test": ("eval", 2)}
#: EEG channels in the order TUH EDFs list them (not the standard order).
TUH_ORDER = (
    "FP1", "FP2", "F3", "F4", "C3", "C4", "P3", "P4", "O1", "O2",
    "F7", "F8", "T3", "T4", "T5", "T6", "A1", "A2", "FZ", "CZ", "PZ",
)  # fmt: skip
MONTAGES = {"01_tcp_ar": "REF", "02_tcp_le": "LE"}
#: Physical range (µV) of every EEG signal; wide enough that nothing clips.
PHYSICAL_UV = 3000.0
FIRST_SEIZURE_S = 30.0  # no seizure starts before this
SEIZURE_GAP_S = 60.0  # minimum gap between seizures
TAIL_S = 20.0  # no seizure ends after duration - TAIL_S
ALT_SFREQ = 256.0  # some patients are recorded at 256 Hz to exercise resampling
ALT_SFREQ_P = 0.15


def edf_labels(montage: str) -> list[str]:
    """EDF signal labels of a montage folder, in TUH order, extras included."""
    suffix = MONTAGES[montage]
    return [f"EEG {ch}-{suffix}" for ch in TUH_ORDER] + [f"EEG EKG1-{suffix}", "PHOTIC PH"]


def subject_id(rng: np.random.Generator) -> str:
    """Eight lower-case letters, TUH style (``aaaa`` + four random letters)."""
    return "aaaa" + "".join(chr(ord("a") + int(k)) for k in rng.integers(0, 26, 4))


def place_seizures(
    rng: np.random.Generator, duration_s: float, durations: list[float]
) -> list[list[float]]:
    """Non-overlapping seizure intervals in seconds (rounded to 4 decimals).

    Seizures of the given ``durations`` start after ``FIRST_SEIZURE_S``, are
    ``SEIZURE_GAP_S`` apart and end ``TAIL_S`` before the end; seizures that do
    not fit are dropped from the end of the list.
    """
    durations = list(durations)
    while durations:
        need = FIRST_SEIZURE_S + sum(durations) + SEIZURE_GAP_S * (len(durations) - 1) + TAIL_S
        if need <= duration_s:
            break
        durations.pop()
    slack = duration_s - need if durations else 0.0
    offsets = np.sort(rng.uniform(0, slack, len(durations)))
    out, t = [], FIRST_SEIZURE_S
    for j, (offset, d) in enumerate(zip(offsets, durations, strict=True)):
        start = t + offset if j == 0 else t + SEIZURE_GAP_S + offset - offsets[j - 1]
        out.append([round(start, 4), round(start + d, 4)])
        t = start + d
    return out


def csv_bi_text(bname: str, duration_s: float, seizures: list[list[float]]) -> str:
    """A ``.csv_bi`` file: header, then seiz rows with bckg rows filling the gaps."""
    lines = [
        "# version = csv_v1.0.0",
        f"# bname = {bname}",
        f"# duration = {duration_s:.2f} secs",
        "# montage_file = $NEDC_NFC/lib/nedc_eas_default_montage.txt",
        "#",
        "channel,start_time,stop_time,label,confidence",
    ]
    t = 0.0
    for start, stop in seizures:
        if start > t:
            lines.append(f"TERM,{t:.4f},{start:.4f},bckg,1.0000")
        lines.append(f"TERM,{start:.4f},{stop:.4f},seiz,1.0000")
        t = stop
    if duration_s > t:
        lines.append(f"TERM,{t:.4f},{duration_s:.4f},bckg,1.0000")
    return "\n".join(lines) + "\n"


def write_edf(
    path: Path,
    data: np.ndarray,
    labels: list[str],
    sfreq: float,
    start: datetime,
    patient_code: str,
) -> None:
    """Write an EDF+C file; ``data`` in µV, shape (len(labels), n_samples).

    Values are clipped to the physical range (a guard only: the range is chosen
    so that nothing reaches it).
    """
    headers = [
        {
            "label": label,
            "dimension": "uV",
            "sample_frequency": sfreq,
            "physical_max": PHYSICAL_UV,
            "physical_min": -PHYSICAL_UV,
            "digital_max": 32767,
            "digital_min": -32768,
            "transducer": "",
            "prefilter": "",
        }
        for label in labels
    ]
    clipped = np.clip(data, -PHYSICAL_UV, PHYSICAL_UV)
    writer = pyedflib.EdfWriter(str(path), len(labels), file_type=pyedflib.FILETYPE_EDFPLUS)
    try:
        writer.setSignalHeaders(headers)
        writer.setStartdatetime(start)
        writer.setPatientCode(patient_code)
        writer.writeSamples([np.ascontiguousarray(row) for row in clipped])
    finally:
        writer.close()


def _extra_channels(
    rng: np.random.Generator, n_samples: int, sfreq: float, background_rms: float
) -> np.ndarray:
    """A1, A2 (quiet ear references), EKG1 (QRS train) and PHOTIC (flat), shape (4, n)."""
    ears = 0.5 * background_rms * pink_noise(rng, 2, n_samples, sfreq, 1.0)
    ekg = np.zeros(n_samples)
    beat = int(sfreq * 60.0 / rng.uniform(60, 95))
    qrs = 300.0 * np.exp(-0.5 * (np.arange(-10, 11) / (0.01 * sfreq)) ** 2)
    for at in range(int(rng.integers(beat)), n_samples - len(qrs), beat):
        ekg[at : at + len(qrs)] += qrs
    return np.vstack([ears, ekg, np.zeros(n_samples)])


def _session_dirs(rng: np.random.Generator, n_sessions: int) -> list[tuple[str, datetime]]:
    """Session folder names (both TUH styles) and start times, increasing."""
    number = int(rng.integers(1, 4))
    when = datetime(int(rng.integers(2002, 2016)), 1, 1) + timedelta(
        days=int(rng.integers(0, 365)), seconds=int(rng.integers(8 * 3600, 18 * 3600))
    )
    out = []
    for _ in range(n_sessions):
        date = f"{when:%Y}" if rng.random() < 0.5 else f"{when:%Y_%m_%d}"
        out.append((f"s{number:03d}_{date}", when))
        number += int(rng.integers(1, 3))
        when += timedelta(days=int(rng.integers(1, 400)), seconds=int(rng.integers(0, 3600)))
    return out


@dataclass(frozen=True)
class PatientPlan:
    """What a patient is made of, drawn before any signal (all of it goes to the truth)."""

    types: tuple[str, ...]
    plans: dict  # type name -> TypePlan
    non_seizure: tuple[str, ...]
    hfo: bool
    traits: Traits


def draw_patient_plan(
    rng: np.random.Generator, params: SynthParams, primary: str, hfo: bool
) -> PatientPlan:
    """Seizure type(s), their concepts, non-seizure concepts and traits of one patient.

    ``primary`` and ``hfo`` come from the cohort's :class:`TypeDealer`.
    """
    kinds = [TYPES_BY_NAME[primary]]
    if rng.random() < SECOND_TYPE_P:
        others = [t for t in SEIZURE_TYPES if t.name != primary]
        kinds.append(others[int(rng.integers(len(others)))])
    plans = {k.name: draw_type_plan(rng, k, params.bundle_strength) for k in kinds}
    non_seizure = draw_non_seizure(rng, kinds, params.bundle_strength)
    foci = kinds[0].foci
    focus = foci[int(rng.integers(len(foci)))]
    traits = draw_traits(rng, focus, params.ictal_rms)
    return PatientPlan(tuple(k.name for k in kinds), plans, tuple(non_seizure), hfo, traits)


def planted_concepts(plan: PatientPlan, n_seizures: int) -> list[str]:
    """The concepts a patient's EEG really shows, in REFERENCE_CONCEPTS order.

    Seizure concepts and ``postictal`` need a seizure: a patient without one
    (possible in the pretrain cohort) shows only the rest.
    """
    present = set(plan.non_seizure)
    if n_seizures:
        for type_plan in plan.plans.values():
            present.update(type_plan.concepts)
        if plan.hfo:
            present.add(HFO)
    else:
        present.discard("postictal")
    return [c for c in REFERENCE_CONCEPTS if c in present]


def note_facts(plan: PatientPlan) -> NoteFacts:
    """Type words, region, side and frequencies of a patient, as its report states them."""
    tr = plan.traits
    type_plans = plan.plans.values()
    generalized_rhythm = any(
        TYPES_BY_NAME[p.name].generalized and "rhythmic" in p.concepts for p in type_plans
    )
    return NoteFacts(
        type_words=tuple(
            TYPES_BY_NAME[t].words.format(region=region_words(tr.focus)) for t in plan.types
        ),
        region=region_words(tr.focus),
        side=side_of(tr.focus),
        electrode=tr.focus,
        sw_hz=round(tr.sw_freq, 1),
        rhythm_hz=round(tr.rhythm_generalized_hz if generalized_rhythm else tr.rhythm_focal_hz),
        fast_hz=round(tr.fast_hz),
        pled_hz=round(tr.pled_hz, 1),
        alpha_hz=round(tr.alpha_hz),
    )


@dataclass(frozen=True)
class RecordingLayout:
    """One recording of a patient before its signal: where it goes and its seizures (s)."""

    session_dir: str
    token: int
    start: datetime
    duration_s: float
    seizures: list[list[float]]
    kinds: list[str]


@dataclass(frozen=True)
class PatientLayout:
    """Everything of a patient drawn from its plan stream, before any signal is rendered."""

    plan: PatientPlan
    montage: str
    sfreq: float
    sessions: list[tuple[str, datetime]]
    recordings: list[RecordingLayout]

    @property
    def n_seizures(self) -> int:
        return sum(len(r.seizures) for r in self.recordings)


def patient_streams(seed: int, cohort: str, index: int) -> list[np.random.SeedSequence]:
    """The plan, note and signal streams of patient ``index`` of ``cohort``."""
    return np.random.SeedSequence(seed, spawn_key=(COHORTS[cohort][1], index)).spawn(3)


def draw_patient_layout(
    rng: np.random.Generator, params: SynthParams, cohort: str, primary: str, hfo: bool
) -> PatientLayout:
    """A patient's plan, montage, sampling rate, sessions and seizures, from its plan stream.

    Cheap (no signal), so the audit can draw thousands of patients from the same
    generator to measure what the corpus' nuisances give away in the population.
    """
    plan = draw_patient_plan(rng, params, primary, hfo)
    montage = "02_tcp_le" if rng.random() < 0.3 else "01_tcp_ar"
    sfreq = params.sfreq
    if sfreq == 250.0 and rng.random() < ALT_SFREQ_P:
        sfreq = ALT_SFREQ
    sessions = _session_dirs(rng, _draw(rng, params.sessions_per_patient))
    low, high = params.seizures_per_recording
    recordings = []
    for session_dir, when in sessions:
        start = when
        for token in range(_draw(rng, params.recordings_per_session)):
            duration = float(int(rng.uniform(*params.duration_s)))
            n_seiz = int(rng.integers(low, high + 1))
            if cohort != "pretrain" and high >= 1:
                n_seiz = max(n_seiz, 1)  # every cv / test recording gets a seizure crop
            kinds = [plan.types[int(rng.integers(len(plan.types)))] for _ in range(n_seiz)]
            durations = [
                params.seizure_duration_scale * float(rng.uniform(*TYPES_BY_NAME[k].duration_s))
                for k in kinds
            ]
            seizures = place_seizures(rng, duration, durations)
            recordings.append(RecordingLayout(session_dir, token, start, duration, seizures,
                                              kinds[: len(seizures)]))  # fmt: skip
            start += timedelta(seconds=duration + int(rng.integers(5, 120)))
    return PatientLayout(plan, montage, sfreq, sessions, recordings)


def cohort_layouts(params: SynthParams, seed: int, cohort: str, n: int) -> Iterator[PatientLayout]:
    """The layouts of patients 0 .. n - 1 of ``cohort``: the corpus' own for the first
    ``n_<cohort>``, then more of the same population (any ``n``)."""
    dealer = TypeDealer(seed, COHORTS[cohort][1])
    for index in range(n):
        plan_ss = patient_streams(seed, cohort, index)[0]
        yield draw_patient_layout(np.random.default_rng(plan_ss), params, cohort,
                                  dealer.primary(index).name, dealer.hfo(index))  # fmt: skip


def _generate_patient(
    params: SynthParams,
    root: Path,
    seed: int,
    cohort: str,
    index: int,
    primary: str,
    hfo: bool,
    subject: str,
) -> tuple[dict, list[dict]]:
    """Write one patient's recordings and note; return its truth rows."""
    split = COHORTS[cohort][0]
    plan_ss, note_ss, signal_ss = patient_streams(seed, cohort, index)
    layout = draw_patient_layout(np.random.default_rng(plan_ss), params, cohort, primary, hfo)
    plan, montage, sfreq, sessions = layout.plan, layout.montage, layout.sfreq, layout.sessions
    labels = edf_labels(montage)
    eeg = [ch for ch in TUH_ORDER if ch not in ("A1", "A2")]

    rec_rows = []
    for rec, ss in zip(layout.recordings, signal_ss.spawn(len(layout.recordings)), strict=True):
        duration, seizures, kinds = rec.duration_s, rec.seizures, rec.kinds
        signal_rng = np.random.default_rng(ss)
        session = rec.session_dir[:4]
        rec_id = recording_id(subject, session, rec.token)
        folder = root / split / subject / rec.session_dir / montage
        folder.mkdir(parents=True, exist_ok=True)
        events = [Seizure(a, b, k) for (a, b), k in zip(seizures, kinds, strict=True)]
        eeg_data, look_alikes = build_recording(
            signal_rng, int(duration * sfreq), sfreq, eeg, events, plan.plans,
            plan.non_seizure, plan.hfo, plan.traits, params.generic_share, params.confuser_rate,
        )  # fmt: skip
        extra = _extra_channels(signal_rng, eeg_data.shape[1], sfreq, plan.traits.background_rms)
        by_name = dict(zip(eeg, eeg_data, strict=True))
        by_name.update(zip(("A1", "A2", "EKG1", "PHOTIC"), extra, strict=True))
        ordered = np.vstack([by_name[ch] for ch in (*TUH_ORDER, "EKG1", "PHOTIC")])
        edf = folder / f"{rec_id}.edf"
        write_edf(edf, ordered, labels, sfreq, rec.start, subject)
        csv_bi = edf.with_suffix(".csv_bi")
        csv_bi.write_text(csv_bi_text(rec_id, duration, seizures), encoding="ascii")
        rec_rows.append(
            {
                "recording_id": rec_id,
                "subject": subject,
                "cohort": cohort,
                "session": session,
                "montage": montage,
                "edf_path": edf.relative_to(root).as_posix(),
                "csv_bi_path": csv_bi.relative_to(root).as_posix(),
                "sfreq": sfreq,
                "duration_s": duration,
                "seizures": seizures,
                "seizure_types": kinds,
                "confusers": look_alikes,
            }
        )

    n_seizures = layout.n_seizures
    planted = planted_concepts(plan, n_seizures)
    note_rng = np.random.default_rng(note_ss)
    # One draw per concept whatever report_rate is: the rest of the note does not
    # change when only report_rate does.
    kept = note_rng.random(len(REFERENCE_CONCEPTS)) < params.report_rate
    reported = [
        c for c, keep in zip(REFERENCE_CONCEPTS, kept, strict=True) if keep and c in planted
    ]
    negated = choose_distractors(note_rng, planted)
    first_session = sessions[0][0]
    note = root / split / subject / first_session / f"{subject}_{first_session[:4]}.txt"
    text = write_note(note_rng, reported, negated, n_seizures, note_facts(plan))
    note.write_text(text, encoding="utf-8")
    patient = {
        "subject": subject,
        "cohort": cohort,
        "split": split,
        "montage": montage,
        "sfreq": sfreq,
        "seizure_types": list(plan.types),
        "type_concepts": {k: list(v.concepts) for k, v in plan.plans.items()},
        "focus": plan.traits.focus,
        "region": region_words(plan.traits.focus),
        "planted": planted,
        "planted_bits": [int(c in planted) for c in REFERENCE_CONCEPTS],
        "reported": reported,
        "reported_bits": [int(c in reported) for c in REFERENCE_CONCEPTS],
        "negated": negated,
        "note_path": note.relative_to(root).as_posix(),
        "n_seizures": n_seizures,
        "traits": asdict(plan.traits),
    }
    return patient, rec_rows


def generate_corpus(params: SynthParams, root: str | Path, seed: int) -> dict:
    """Write the whole corpus under ``root`` (atomically) and return the truth.

    Parameters
    ----------
    params : SynthParams
        Corpus size and shape.
    root : str or Path
        Corpus root; replaced as a whole when generation succeeds.
    seed : int
        Master seed; same seed -> byte-identical files.

    Returns
    -------
    dict
        The hidden truth: ``{"version", "seed", "concepts", "patients",
        "recordings", "summary"}`` (see :func:`write_truth`).
    """
    root = Path(root)
    jobs = []
    taken: set[str] = set()
    sizes = {"pretrain": params.n_pretrain, "cv": params.n_cv, "test": params.n_test}
    for cohort, count in sizes.items():
        _, code = COHORTS[cohort]
        dealer = TypeDealer(seed, code)
        for i in range(count):
            id_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(code, i, 99)))
            subject = subject_id(id_rng)
            while subject in taken:  # rare collision: draw again from the same stream
                subject = subject_id(id_rng)
            taken.add(subject)
            jobs.append((cohort, i, dealer.primary(i).name, dealer.hfo(i), subject))

    patients, recordings = [], []
    with atomic_path(root) as tmp:
        tmp.mkdir()
        for job in tqdm(jobs, desc="synth patients", unit="patient"):
            patient, rows = _generate_patient(params, tmp, seed, *job)
            patients.append(patient)
            recordings.extend(rows)
    return {
        "version": 2,
        "seed": seed,
        "concepts": list(REFERENCE_CONCEPTS),
        "non_seizure_concepts": list(NON_SEIZURE_CONCEPTS),
        "patients": patients,
        "recordings": recordings,
        "summary": {
            "patients": len(patients),
            "recordings": len(recordings),
            "seizures": sum(len(r["seizures"]) for r in recordings),
            "seconds": sum(r["duration_s"] for r in recordings),
        },
    }


def write_truth(truth: dict, path: str | Path) -> None:
    """Write the truth as JSON (sorted keys, indented), atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(truth, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _draw(rng: np.random.Generator, bounds: tuple[int, int]) -> int:
    """Integer uniformly in the closed range ``bounds``."""
    return int(rng.integers(bounds[0], bounds[1] + 1))

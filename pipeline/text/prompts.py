"""Few-shot completion prompts for a small base model (spec section 7).

Gemma 3 270M is a base model: it continues text rather than following
instructions, so every prompt is an instruction line followed by worked
examples in the exact format expected back, ending where the answer starts.
The examples use EEG terms that are *not* in the concept bank (triphasic
waves, sleep spindles, mu rhythm ...): the model tends to repeat its examples,
and a repeated example must not be mistaken for a finding.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Stop sequences of the list prompts: the model starts the next example.
LIST_STOP = ("\n\n", "Sentence:", "Patterns", "Original:", "\n#")
#: The findings prompt answers on one line.
FINDINGS_STOP = ("\n",)
REWRITE_STOP = ("\n",)


# --------------------------------------------------------------------------- concept proposals


@dataclass(frozen=True)
class ProposalDomain:
    """One region of the EEG vocabulary the LLM is asked about."""

    side: str  # seizure | non-seizure
    topic: str
    examples: tuple[str, str]


PROPOSAL_DOMAINS: tuple[ProposalDomain, ...] = (
    ProposalDomain("seizure", "waveforms (time domain) seen during epileptic seizures",
                   ("ictal discharge", "electrodecremental response")),
    ProposalDomain("seizure", "frequency-domain patterns of epileptic seizures",
                   ("ictal theta rhythm", "recruiting rhythm")),
    ProposalDomain("non-seizure", "background and interictal EEG patterns",
                   ("sleep spindles", "triphasic waves")),
    ProposalDomain("non-seizure", "non-epileptic EEG patterns, artifacts and postictal changes",
                   ("vertex waves", "lambda waves")),
)  # fmt: skip

_PROPOSAL_TEMPLATES = (
    "Glossary of clinical EEG terms.\nPatterns an electroencephalographer reports: {topic}.\n",
    "EEG report vocabulary (ACNS terminology).\nList of {topic}:\n",
    "Neurology board review, EEG section.\nName the {topic}, one per line:\n",
)


def proposal_prompt(domain: ProposalDomain, variation: int) -> str:
    """Ask for a list of EEG patterns of one domain (``variation`` picks the wording)."""
    head = _PROPOSAL_TEMPLATES[variation % len(_PROPOSAL_TEMPLATES)].format(topic=domain.topic)
    first, second = domain.examples
    return f"{head}- {first}\n- {second}\n-"


def n_proposal_templates() -> int:
    return len(_PROPOSAL_TEMPLATES)


# --------------------------------------------------------------------------- pass 1: rewrite

_REWRITE_EXAMPLES = (
    ("Frequent bifrontal triphasic waves are seen during drowsiness.",
     "During drowsiness, triphasic waves appear frequently over both frontal regions."),
    ("There was no photic driving response.",
     "Photic stimulation did not produce a driving response."),
    ("Sleep spindles and vertex waves are present in stage 2 sleep.",
     "In stage 2 sleep the record contains vertex waves and sleep spindles."),
)  # fmt: skip


def rewrite_prompt(sentence: str) -> str:
    """Pass 1 of the paper: restate one report sentence with lexical variation."""
    lines = [
        "Rewrite each EEG report sentence in other words. Keep every finding and every negation.\n"
    ]
    for original, rewrite in _REWRITE_EXAMPLES:
        lines.append(f"Original: {original}\nRewrite: {rewrite}\n")
    lines.append(f"Original: {sentence}\nRewrite:")
    return "\n".join(lines)


# --------------------------------------------------------------------------- pass 2: findings

#: The paper's query and semantic variations of it (stochasticity).
FINDINGS_INSTRUCTIONS = (
    "List present etiologies based on this clinical note describing EEG. "
    'Leave out negated findings; write "none" if nothing is present.',
    "List the EEG findings that the sentence reports as present. "
    'Findings that are denied or absent are not listed; write "none" if there are none.',
    "Which EEG patterns does this sentence of an EEG report describe? "
    'Give the present ones as a list, or "none".',
)

_FINDINGS_EXAMPLES = (
    ("Frequent bifrontal triphasic waves were recorded during drowsiness.", ("triphasic waves",)),
    ("Sleep spindles and vertex waves appear in stage 2 sleep, with a central mu rhythm.",
     ("sleep spindles", "vertex waves", "mu rhythm")),
    ("There was no photic driving response.", ()),
    ("Hyperventilation produced diffuse attenuation and wicket waves over the temporal regions.",
     ("diffuse attenuation", "wicket waves")),
)  # fmt: skip


def findings_prompt(sentence: str, variation: int) -> str:
    """Pass 2 of the paper: list the EEG findings present in one sentence.

    One answer line, items separated by ``;``: a small model keeps this format
    far better than a bulleted list, and a single "none" example (not half of
    them) stops it from answering "none" by default.
    """
    instruction = FINDINGS_INSTRUCTIONS[variation % len(FINDINGS_INSTRUCTIONS)]
    lines = [instruction + "\n"]
    for example, findings in _FINDINGS_EXAMPLES:
        lines.append(f"Sentence: {example}\nFindings: {'; '.join(findings) or 'none'}\n")
    lines.append(f"Sentence: {sentence}\nFindings:")
    return "\n".join(lines)


#: Terms the few-shot examples put in the model's mouth; never findings of a note.
EXAMPLE_TERMS = frozenset(t for _, findings in _FINDINGS_EXAMPLES for t in findings)

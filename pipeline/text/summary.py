"""The one-sentence summary of a recording's predicted etiologies (paper Fig 4).

The local LLM (Gemma 3 270M by default, a base model) is given the predicted
concept names and few-shot examples of the sentence wanted. Its answer is
checked before use: one complete sentence, naming at least one predicted
concept, naming no concept of the bank that was not predicted, and not echoing
the few-shot examples. Up to ``n_tries`` seeds are tried; the first answer that
names every summarised finding wins. An answer leaving out one of them is not
used: a caption that drops the most probable concept (a burst suppression at
p 0.93) misleads more than a plain one. When no answer passes, a deterministic
template sentence is used instead, and the returned :class:`Summary` says so,
so that a figure never passes a template off as model output.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: Worked examples. Their EEG terms are not concept-bank names (as in
#: :mod:`pipeline.text.prompts`): the small model tends to repeat examples, and a
#: repeated example must be caught, never read as a finding.
_EXAMPLES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("triphasic waves", "diffuse attenuation"),
     "The recording shows triphasic waves together with diffuse attenuation."),
    (("sleep spindles",), "The recording is notable for sleep spindles."),
    (("mu rhythm", "wicket waves", "vertex waves"),
     "The recording shows mu rhythm, wicket waves and vertex waves."),
)  # fmt: skip

#: Terms the examples put in the model's mouth: an answer naming one is rejected.
EXAMPLE_TERMS: frozenset[str] = frozenset(t for terms, _ in _EXAMPLES for t in terms)

_INSTRUCTION = (
    "Each list of EEG findings predicted for a recording is summarised in one sentence "
    "for the clinical report. The sentence names the listed findings and no other finding.\n"
)
#: The answer is one line; the model starts the next example after it.
SUMMARY_STOP = ("\n",)
#: Sentence length bounds (characters): shorter is a fragment, longer a ramble.
_MIN_CHARS, _MAX_CHARS = 15, 300


@dataclass(frozen=True)
class Summary:
    """A summary sentence and where it came from.

    Attributes
    ----------
    sentence : str
        The sentence shown under the Fig 4 heatmap.
    source : str
        ``"llm"`` (a checked model answer) or ``"template"`` (the fallback).
    findings : tuple of str
        The predicted concepts that were summarised, most probable first.
    attempts : tuple of str
        The raw model answers, in the order tried.
    reason : str
        Why the template was used (empty for ``"llm"``).
    """

    sentence: str
    source: str
    findings: tuple[str, ...]
    attempts: tuple[str, ...] = ()
    reason: str = ""


def summary_prompt(findings: Sequence[str]) -> str:
    """Few-shot completion prompt ending where the summary sentence starts."""
    lines = [_INSTRUCTION]
    for terms, sentence in _EXAMPLES:
        lines.append(f"Findings: {'; '.join(terms)}\nSummary: {sentence}\n")
    lines.append(f"Findings: {'; '.join(findings)}\nSummary:")
    return "\n".join(lines)


def template_sentence(findings: Sequence[str]) -> str:
    """The deterministic fallback sentence.

    Examples
    --------
    >>> template_sentence(["spike and wave", "rhythmic", "postictal"])
    'The model predicts spike and wave, rhythmic and postictal for this recording.'
    """
    if not findings:
        return "No etiology concept reaches the prediction threshold for this recording."
    listed = ", ".join(findings[:-1]) + " and " if len(findings) > 1 else ""
    return f"The model predicts {listed}{findings[-1]} for this recording."


def _term_pattern(term: str) -> re.Pattern:
    # Whole words, case-insensitive, an optional plural: "sharp waves" names "sharp wave".
    return re.compile(rf"(?<![\w-]){re.escape(term)}(?:s|es)?(?![\w-])", re.IGNORECASE)


def mentioned(text: str, terms: Sequence[str]) -> list[str]:
    """The terms named in ``text`` (whole words, case-insensitive, plural allowed)."""
    return [t for t in terms if _term_pattern(t).search(text)]


def check_sentence(
    text: str, findings: Sequence[str], vocabulary: Sequence[str] = ()
) -> tuple[str | None, int]:
    """Whether a model answer can be used as the summary.

    Parameters
    ----------
    text : str
        The model's answer, stripped.
    findings : sequence of str
        The predicted concepts it should name.
    vocabulary : sequence of str
        Every concept name of the bank; naming one not in ``findings`` is a
        hallucinated finding.

    Returns
    -------
    problem : str or None
        Why the answer is rejected, or None when it is usable.
    n_named : int
        How many of ``findings`` it names.
    """
    named = mentioned(text, findings)
    if not _MIN_CHARS <= len(text) <= _MAX_CHARS:
        return f"length {len(text)} outside [{_MIN_CHARS}, {_MAX_CHARS}]", len(named)
    if not text.endswith("."):
        return "not a complete sentence (no final full stop)", len(named)
    if len(re.split(r"(?<=[.!?])\s+(?=\S)", text)) > 1:
        return "more than one sentence", len(named)
    if ":" in text:  # "Findings: ..." echoed, or a list instead of a sentence
        return "contains a colon (a list, not a sentence)", len(named)
    if not named:
        return "names no predicted concept", 0
    echoed = mentioned(text, sorted(EXAMPLE_TERMS))
    if echoed:
        return f"repeats a prompt example ({', '.join(echoed)})", len(named)
    # Blank out the predicted names first (longest first): "spike and wave" contains
    # the bank name "spike", which is then not a hallucination.
    rest = text
    for term in sorted(findings, key=len, reverse=True):
        rest = _term_pattern(term).sub(" ", rest)
    extra = mentioned(rest, [v for v in vocabulary if v not in findings])
    if extra:
        return f"names concepts that were not predicted ({', '.join(extra)})", len(named)
    return None, len(named)


def summarise_etiologies(
    predicted: Sequence[str],
    llm,
    vocabulary: Sequence[str] = (),
    *,
    max_findings: int = 4,
    n_tries: int = 3,
    seed: int | None = None,
    max_tokens: int = 48,
) -> Summary:
    """One sentence summarising a recording's predicted concepts, by the LLM.

    Parameters
    ----------
    predicted : sequence of str
        Predicted concept names, most probable first.
    llm : pipeline.text.llm.LLM
        Anything with ``complete(prompt, stop=, max_tokens=, seed=)`` and
        ``params.seed``; every call of the real class is cached on disk.
    vocabulary : sequence of str
        All concept names of the bank, to reject answers naming others.
    max_findings : int
        Only the most probable findings are summarised: a small model keeps a
        short list far better, and a caption should stay one line or two.
    n_tries : int
        Seeds tried (``seed``, ``seed + 1``, ...) before the template.
    seed : int, optional
        Base seed; default ``llm.params.seed``.
    max_tokens : int
        Length limit of each answer.

    Returns
    -------
    Summary
    """
    findings = tuple(predicted[:max_findings])
    if not findings:
        return Summary(template_sentence(()), "template", (), reason="no concept predicted")
    base = llm.params.seed if seed is None else int(seed)
    prompt = summary_prompt(findings)
    attempts, problems = [], []
    for k in range(n_tries):
        text = llm.complete(prompt, stop=SUMMARY_STOP, max_tokens=max_tokens, seed=base + k)
        attempts.append(text)
        sentence = " ".join(text.split())
        problem, n_named = check_sentence(sentence, findings, vocabulary)
        if problem is None and n_named < len(findings):
            left_out = [f for f in findings if f not in mentioned(sentence, findings)]
            problem = f"leaves out {', '.join(left_out)}"
        if problem is None:
            return Summary(sentence, "llm", findings, tuple(attempts))
        problems.append(f"seed {base + k}: {problem}")
    return Summary(template_sentence(findings), "template", findings, tuple(attempts),
                   reason="; ".join(problems))  # fmt: skip

"""The one record type for everything wrong with an input file.

Every check of the ingest (EDF headers, annotations, notes, layout) reports a
:class:`Problem` instead of raising, so that one bad file never stops the
others and every rejected or repaired file ends up as a row of the issues table.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Severity = Literal["rejected", "repaired", "warning"]
SEVERITIES: tuple[str, ...] = ("rejected", "repaired", "warning")


@dataclass(frozen=True)
class Problem:
    """One finding about one input file.

    Attributes
    ----------
    path : str
        The file (or folder) concerned.
    severity : {"rejected", "repaired", "warning"}
        ``rejected``: the file is not used. ``repaired``: it is used after an
        explicit fix described in ``detail``. ``warning``: used as is.
    problem : str
        Short machine-readable code, e.g. ``"truncated_record"``.
    detail : str
        A sentence for a human, naming the file and the numbers involved.
    """

    path: str
    severity: Severity
    problem: str
    detail: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity!r}")
        object.__setattr__(self, "path", str(self.path))


class FileError(ValueError):
    """An input file that cannot be used; ``detail`` says why."""

    def __init__(self, path: str | Path, detail: str) -> None:
        super().__init__(f"{path}: {detail}")
        self.path = str(path)
        self.detail = detail


def is_rejected(problems: list[Problem]) -> bool:
    """Whether any of ``problems`` rejects its file."""
    return any(p.severity == "rejected" for p in problems)


def problem(path: str | Path, severity: Severity, code: str, detail: str) -> Problem:
    """Shorthand constructor; ``detail`` is prefixed with the file name."""
    return Problem(str(path), severity, code, f"{Path(path).name}: {detail}")

"""Atomic output writing: a reader never sees a half-written file or folder.

Every output of the pipeline is written to a temporary sibling and renamed onto
its path only when complete. A stage killed mid-write (SIGKILL, out of memory)
leaves that temporary behind, which at corpus scale is gigabytes; the next
write of the same path removes it first, so a rerun cleans up after a kill.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

#: Suffix of every temporary made here (and the only thing the clean-up removes).
TMP_SUFFIX = ".tmp"


def stale_temporaries(path: str | Path) -> list[Path]:
    """Temporaries that earlier, interrupted writes of ``path`` left beside it."""
    path = Path(path)
    if not path.parent.is_dir():
        return []
    return sorted(path.parent.glob(f".{path.name}.*{TMP_SUFFIX}"))


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _sibling(path: Path, tag: str) -> Path:
    """A fresh, unused name ``.<name>.<tag><random>.tmp`` next to ``path``."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.{tag}", suffix=TMP_SUFFIX, dir=path.parent)
    os.close(fd)
    os.unlink(name)  # the caller creates a file or a directory there
    return Path(name)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary sibling of ``path``; move it onto ``path`` on success.

    Works for files and directories. On an exception the temporary is removed
    and ``path`` keeps its previous content (or stays absent). A folder is
    swapped by moving the old one aside first, so ``path`` is never missing
    between the two renames; the old folder is deleted afterwards. Temporaries
    of earlier interrupted writes of ``path`` are removed before writing.

    Examples
    --------
    >>> with atomic_path("out.parquet") as tmp:  # doctest: +SKIP
    ...     table.write_parquet(tmp)
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    for stale in stale_temporaries(path):
        _remove(stale)
    tmp = _sibling(path, "")
    try:
        yield tmp
        if path.is_dir() and not path.is_symlink():
            old = _sibling(path, "old.")
            os.replace(path, old)
            os.replace(tmp, path)
            _remove(old)
        else:
            os.replace(tmp, path)
    finally:
        _remove(tmp)


def write_json(path: str | Path, value, indent: int | None = 1) -> None:
    """Write ``value`` as UTF-8 JSON (sorted keys, non-ASCII kept) atomically."""
    with atomic_path(path) as tmp, tmp.open("w", encoding="utf-8") as handle:
        json.dump(value, handle, ensure_ascii=False, indent=indent, sort_keys=True)

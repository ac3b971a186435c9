"""SHA-256 of files, byte strings and JSON-able values: the one hashing of the pipeline."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from pipeline.io.atomic import write_json

_BLOCK = 1 << 20


def sha256_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_json(value) -> str:
    """Hex SHA-256 of ``value`` as canonical JSON (sorted keys, UTF-8)."""
    blob = json.dumps(value, sort_keys=True, ensure_ascii=False)
    return sha256_bytes(blob.encode("utf-8"))


def sha256_file(path: str | Path, memo_path: str | Path | None = None) -> str:
    """Hex SHA-256 of a (large) file, read in 1 MiB blocks.

    Parameters
    ----------
    path : str or Path
    memo_path : str or Path, optional
        A JSON file remembering digests per (resolved path, size, mtime):
        hashing a 250 MB model costs about a second, which a warm rerun
        should not pay. None = always hash.
    """
    path = Path(path).resolve()
    stat = path.stat()
    memo_key = f"{path}|{stat.st_size}|{stat.st_mtime_ns}"
    memo: dict[str, str] = {}
    if memo_path is not None and Path(memo_path).is_file():
        memo = json.loads(Path(memo_path).read_text(encoding="utf-8"))
        if memo_key in memo:
            return memo[memo_key]
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(_BLOCK), b""):
            digest.update(block)
    if memo_path is not None:
        write_json(memo_path, memo | {memo_key: digest.hexdigest()})
    return digest.hexdigest()

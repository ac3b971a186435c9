"""Atomic outputs: complete or absent, the old folder present until the swap, no litter."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest

from pipeline.io import atomic
from pipeline.io.atomic import atomic_path, stale_temporaries, write_json


def test_a_file_appears_complete_and_an_error_keeps_the_old_one(tmp_path):
    target = tmp_path / "out.txt"
    with atomic_path(target) as tmp:
        tmp.write_text("one")
    assert target.read_text() == "one"
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("killed mid-write")
    assert target.read_text() == "one"
    assert list(tmp_path.iterdir()) == [target]


def test_a_folder_swap_never_leaves_the_target_missing(tmp_path, monkeypatch):
    target = tmp_path / "outs"
    target.mkdir()
    (target / "old.txt").write_text("old")
    seen = []
    replace = os.replace

    def watching_replace(src, dst):
        replace(src, dst)
        seen.append(target.is_dir())

    monkeypatch.setattr(atomic.os, "replace", watching_replace)
    with atomic_path(target) as tmp:
        tmp.mkdir()
        (tmp / "new.txt").write_text("new")
    # Two renames (old aside, new in): the target is missing only between them,
    # never while the old folder is being deleted.
    assert seen == [False, True]
    assert sorted(p.name for p in target.iterdir()) == ["new.txt"]
    assert list(tmp_path.iterdir()) == [target]


def test_the_next_write_removes_what_a_killed_write_left(tmp_path):
    target = tmp_path / "processed"
    script = textwrap.dedent(f"""
        import os, time
        from pipeline.io.atomic import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            tmp.mkdir()
            (tmp / "windows.parquet").write_bytes(b"x" * 100_000)
            print("writing", flush=True)
            time.sleep(60)
    """)
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait()
    litter = stale_temporaries(target)
    assert len(litter) == 1 and (litter[0] / "windows.parquet").is_file()
    with atomic_path(target) as tmp:
        tmp.mkdir()
    assert stale_temporaries(target) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["processed"]


def test_cleanup_touches_only_this_paths_temporaries(tmp_path):
    (tmp_path / ".fold10.abc.tmp").mkdir()
    (tmp_path / ".fold1.abc.tmp").mkdir()
    with atomic_path(tmp_path / "fold1") as tmp:
        tmp.mkdir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".fold10.abc.tmp", "fold1"]


def test_write_json_is_sorted_and_keeps_non_ascii(tmp_path):
    path = tmp_path / "a" / "x.json"
    write_json(path, {"b": 1, "a": "µV"})
    assert path.read_text(encoding="utf-8") == '{\n "a": "µV",\n "b": 1\n}'

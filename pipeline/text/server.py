"""A local OpenAI-compatible server for a GGUF model (llama-cpp-python's ``llama_cpp.server``).

For trying ``llm.backend: openai`` on one machine, and for its tests and
benchmark: the server runs in a child process on 127.0.0.1 and answers the
same ``/v1/completions`` requests that llama.cpp's own server or vLLM answer
on a GPU machine. Needs the server's extra packages
(``pip install 'llama-cpp-python[server]'``; ``make test`` installs them).
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """A running server: its API root, the model name it serves, its process."""

    base_url: str
    model: str
    process: subprocess.Popen

    def stop(self) -> None:
        """Kill the server at once (as a crash would) and wait for it."""
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


def _wait_ready(server: Server, log: Path, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(
                f"llama_cpp.server exited with {server.process.returncode}: "
                f"{log.read_text(errors='replace')[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{server.base_url}/models", timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    server.stop()
    raise TimeoutError(f"llama_cpp.server not ready after {timeout_s:.0f} s; log: {log}")


@contextlib.contextmanager
def serve(
    model_path: Path,
    log: Path,
    model: str = "local-gguf",
    n_ctx: int = 2048,
    n_threads: int = 0,
    port: int | None = None,
    timeout_s: float = 120.0,
) -> Iterator[Server]:
    """Serve ``model_path`` on 127.0.0.1 for the ``with`` block.

    Parameters
    ----------
    model_path : Path
        A GGUF file.
    log : Path
        The server's stdout and stderr go here.
    model : str
        The name it serves the model under (``llm.model``).
    n_ctx, n_threads
        As ``llm.n_ctx`` / ``llm.n_threads`` (0 = the server's default).
    port : int, optional
        Default: a free port.
    timeout_s : float
        Seconds to wait for the server to answer.

    Yields
    ------
    Server
    """
    port = port or free_port()
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(model_path),
               "--model_alias", model, "--host", "127.0.0.1", "--port", str(port),
               "--n_ctx", str(n_ctx)]  # fmt: skip
    if n_threads:
        command += ["--n_threads", str(n_threads)]
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}/v1", model, process)
    try:
        _wait_ready(server, log, timeout_s)
        yield server
    finally:
        server.stop()

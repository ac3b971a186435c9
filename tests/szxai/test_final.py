"""The final SzXAI head: trained on every labelled cv patient, saved, loaded strict."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from pipeline.stages.final import run
from pipeline.szxai.final import HEAD_FILE, RECORD_FILE, final_dir, load_head
from pipeline.szxai.training import predict
from tests.helpers.szxai import SEIZURE_SIDE, cohort_params


@pytest.mark.parametrize("standardize", [False, True])
def test_final_head_sees_every_patient_and_reloads_to_the_same_predictions(
    cohort, tmp_path, standardize
):
    _, folds, crops = cohort
    params = cohort_params(tmp_path)
    params = params.model_copy(
        update={"train": params.train.model_copy(update={"standardize_latents": standardize})}
    )
    record = run(params, "deepsoz")
    out = final_dir(params.train, "deepsoz")
    assert record["n_subjects"] == folds["subject"].n_unique() == len(set(crops.subjects))
    assert record["n_train_crops"] + record["n_val_crops"] == len(crops)
    assert json.loads((out / RECORD_FILE).read_text())["latent_dim"] == crops.h.shape[-1]

    head = load_head(out / HEAD_FILE, params.train, torch.device("cpu"))
    assert head.concepts.seizure.tolist() == SEIZURE_SIDE.tolist()
    # The scaling fitted on the cv latents is saved with the head (identity when off).
    assert bool((head.stack.latent_scale != 1).any()) == standardize
    probs = predict(head.stack, crops.to_tensors(torch.device("cpu")))["probs"][0]
    # The cohort is learnable: the head trained on everyone separates its own patients.
    present, absent = probs[crops.labels == 1], probs[crops.labels == 0]
    assert present.mean() > absent.mean() + 0.2
    # Same params, same head, byte for byte (DVC hashes the file).
    first_bytes = (out / HEAD_FILE).read_bytes()
    again = run(params, "deepsoz")
    assert (out / HEAD_FILE).read_bytes() == first_bytes
    assert again["epochs_run"] == record["epochs_run"]
    reloaded = load_head(out / HEAD_FILE, params.train, torch.device("cpu"))
    again_probs = predict(reloaded.stack, crops.to_tensors(torch.device("cpu")))["probs"][0]
    np.testing.assert_allclose(again_probs, probs, rtol=0, atol=1e-6)


def test_a_file_that_is_no_head_is_refused(tmp_path):
    path = tmp_path / "head.pt"
    torch.save({"state_dict": {}}, path)
    with pytest.raises(ValueError, match="not a final head checkpoint"):
        load_head(path, cohort_params(tmp_path).train, torch.device("cpu"))


def test_a_head_saved_before_a_tensor_it_now_has_is_refused_by_name(cohort, tmp_path):
    params = cohort_params(tmp_path)
    run(params, "deepsoz")
    path = final_dir(params.train, "deepsoz") / HEAD_FILE
    payload = torch.load(path, weights_only=True)
    for key in ("latent_mean", "latent_scale"):  # what heads saved before 300d4eb lack
        del payload["state_dict"][key]
    torch.save(payload, path)
    with pytest.raises(ValueError, match=r"older version.*latent_mean, latent_scale"):
        load_head(path, params.train, torch.device("cpu"))

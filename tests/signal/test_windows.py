"""Crop placement and window labels on hand-computed cases."""

import numpy as np
import pytest

from pipeline.signal.windows import (
    background_crop_starts,
    cut_windows,
    seizure_crop_start,
    seizure_crop_starts,
    window_labels,
)


def test_window_label_is_majority_overlap():
    # Windows [0,1) .. [4,5); seizure 1.5-3.6 covers 0.5, 1.0, 0.6 of windows 1, 2, 3.
    labels = window_labels(0.0, 5, 1.0, [(1.5, 3.6)])
    np.testing.assert_array_equal(labels, [0, 0, 1, 1, 0])


def test_window_label_sums_overlaps_of_two_seizures():
    # Window [10,11) is covered 0.3 + 0.3 = 0.6 by two short seizures.
    labels = window_labels(10.0, 2, 1.0, [(10.0, 10.3), (10.7, 11.2)])
    np.testing.assert_array_equal(labels, [1, 0])


def test_crop_places_onset_at_requested_position():
    # Onset 400 s at 25 % of a 600 s crop -> start 250 s.
    assert seizure_crop_start(400.0, 2000.0, 600, (0.0, 2000.0), 0.25) == 250


def test_crop_is_shifted_inside_recording():
    assert seizure_crop_start(100.0, 2000.0, 600, (0.0, 2000.0), 0.5) == 0
    assert seizure_crop_start(1900.0, 2000.0, 600, (0.0, 2000.0), 0.1) == 1400


def test_crop_is_bounded_by_neighbouring_seizures():
    # Previous seizure ends at 300 s: a crop starting at 100 s would include it.
    assert seizure_crop_start(700.0, 3000.0, 600, (300.0, 1500.0), 0.99) == 300
    # Next seizure starts at 1000 s: the crop must end by then.
    assert seizure_crop_start(500.0, 3000.0, 600, (0.0, 1000.0), 0.0) == 400


def test_crop_ignores_neighbours_when_gap_is_too_short():
    # Gap 300-800 s is shorter than the crop: only the recording bounds apply.
    assert seizure_crop_start(500.0, 3000.0, 600, (300.0, 800.0), 0.5) == 200


def test_short_recording_starts_at_zero():
    assert seizure_crop_start(100.0, 250.0, 600, (0.0, 250.0), 0.7) == 0


def test_onset_positions_spread_over_the_crop():
    rng = np.random.default_rng(1)
    positions = [
        1000 - seizure_crop_starts([(1000.0, 1030.0)], 3000.0, 600, rng)[0] for _ in range(2000)
    ]
    counts, _ = np.histogram(positions, bins=6, range=(0, 600))
    assert counts.min() > 0.7 * counts.mean()


def test_background_crops_fit_inside_recording():
    rng = np.random.default_rng(2)
    starts = background_crop_starts(900.5, 600, 5, rng)
    assert len(starts) == 5 and all(0 <= s <= 300 for s in starts)
    assert background_crop_starts(100.0, 600, 3, rng) == [0]


def test_background_crops_are_distinct():
    # 603 s recording, 600 s crops: only starts 0..3 exist, asked for 10.
    starts = background_crop_starts(603.0, 600, 10, np.random.default_rng(3))
    assert starts == [0, 1, 2, 3]


def test_seizures_sharing_a_crop_get_one_crop():
    # A 450 s recording is shorter than one crop: both seizures' crops start at 0.
    seizures = [(100.0, 130.0), (300.0, 340.0)]
    assert seizure_crop_starts(seizures, 450.0, 600, np.random.default_rng(4)) == [0]
    # Far apart seizures keep one crop each.
    far = seizure_crop_starts([(700.0, 730.0), (2500.0, 2540.0)], 4000.0, 600,
                              np.random.default_rng(4))  # fmt: skip
    assert len(far) == 2 and far[0] < far[1]


def test_cut_windows_pads_past_the_end():
    sfreq = 4.0
    data = np.arange(2 * 10, dtype=float).reshape(2, 10)  # 2.5 s of signal
    windows, is_pad = cut_windows(data, sfreq, crop_start_s=1, crop_s=3, window_s=1)
    assert windows.shape == (3, 2, 4)
    np.testing.assert_array_equal(windows[0, 0], [4, 5, 6, 7])
    np.testing.assert_array_equal(windows[1, 1], [18, 19, 0, 0])
    np.testing.assert_array_equal(is_pad, [False, True, True])


@pytest.mark.parametrize("n_folds", [3, 10])
def test_folds_group_patients_and_are_seeded(n_folds):
    from pipeline.datasets.folds import assign_folds

    subjects = [f"p{i:02d}" for i in range(31)] * 2
    folds = assign_folds(subjects, n_folds, seed=7)
    assert folds.height == 31
    sizes = folds.group_by("fold").len()["len"]
    assert sizes.min() >= 31 // n_folds and sizes.max() <= 31 // n_folds + 1
    assert folds.equals(assign_folds(reversed(subjects), n_folds, seed=7))
    assert not folds.equals(assign_folds(subjects, n_folds, seed=8))


def test_folds_refuse_too_few_patients():
    from pipeline.datasets.folds import assign_folds

    with pytest.raises(ValueError, match="3 patients"):
        assign_folds(["a", "b", "c"], 10, seed=0)

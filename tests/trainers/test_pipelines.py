"""Training and evaluation pipelines."""

import itertools

import numpy as np
import pytest

from trainers import pipelines


def _take(dataset, n):
    return [b.numpy() for b in itertools.islice(dataset, n)]


def test_static_batches_repeat_each_epoch_in_shuffled_order():
    images = (np.random.RandomState(0).rand(20, 3, 3, 1) > 0.5).astype(np.uint8)
    ds = pipelines.train_dataset(images, batch_size=5, pixels="binary", seed=1)
    epochs = _take(ds, 8)
    first, second = np.concatenate(epochs[:4]), np.concatenate(epochs[4:])
    assert first.dtype == np.float32 and first.shape == (20, 3, 3, 1)
    key = lambda a: sorted(map(bytes, a.astype(np.uint8)))
    assert key(first) == key(images) == key(second)      # each epoch: a permutation
    assert not np.array_equal(first, second)             # in a new order


def test_static_values_are_fixed_and_dynamic_values_change_between_epochs():
    gray = np.full((10, 4, 4, 1), 100, np.uint8)
    static = (gray > 50).astype(np.uint8)
    s = _take(pipelines.train_dataset(static, 10, "binary", seed=0, shuffle=False), 2)
    np.testing.assert_array_equal(s[0], s[1])
    d = _take(pipelines.train_dataset(gray, 10, "dynamic", seed=0, shuffle=False), 2)
    assert set(np.unique(d[0])) == {0.0, 1.0}
    assert not np.array_equal(d[0], d[1])


def test_dynamic_binarization_has_the_pixel_intensity_as_mean():
    gray = np.full((100, 28, 28, 1), 51, np.uint8)               # p = 0.2
    batch = _take(pipelines.train_dataset(gray, 100, "dynamic", seed=3), 1)[0]
    # 78,400 Bernoulli(0.2) draws: standard error 0.0014.
    assert abs(batch.mean() - 0.2) < 0.006


def test_gray_pixels_are_the_levels_over_255_every_epoch():
    gray = np.random.RandomState(2).randint(0, 256, (6, 3, 2, 3)).astype(np.uint8)
    epochs = _take(pipelines.train_dataset(gray, 6, "gray", seed=0, shuffle=False), 2)
    for batch in epochs:
        np.testing.assert_array_equal(batch, gray.astype(np.float32) / np.float32(255))


def test_resumed_pipeline_continues_the_same_stream():
    gray = np.random.RandomState(0).randint(0, 256, (12, 2, 2, 1)).astype(np.uint8)
    full = _take(pipelines.train_dataset(gray, 4, "dynamic", seed=5), 9)
    resumed = _take(pipelines.train_dataset(gray, 4, "dynamic", seed=5, initial_epoch=2), 3)
    for a, b in zip(full[6:], resumed):
        np.testing.assert_array_equal(a, b)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="uint8"):
        pipelines.train_dataset(np.zeros((4, 2, 2, 1), np.float32), 2, "binary", 0)
    with pytest.raises(ValueError, match="pixels must be one of"):
        pipelines.train_dataset(np.zeros((4, 2, 2, 1), np.uint8), 2, "stochastic", 0)
    with pytest.raises(ValueError, match="no batch"):
        pipelines.train_dataset(np.zeros((4, 2, 2, 1), np.uint8), 5, "binary", 0)


def test_eval_dataset_keeps_order_and_remainder():
    images = np.arange(7, dtype=np.float32).reshape(7, 1, 1, 1)
    batches = _take(pipelines.eval_dataset(images, 3), 10)
    assert [len(b) for b in batches] == [3, 3, 1]
    np.testing.assert_array_equal(np.concatenate(batches), images)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

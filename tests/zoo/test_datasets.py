"""Dataset loading: splits, dtypes, binarization and the fast offline error."""

import os
import socket
import time

import numpy as np
import pytest

from zoo import datasets


def _write_static(directory, n_train=30, n_valid=10, n_test=12):
    rng = np.random.RandomState(0)
    arrays = {k: (rng.rand(n, 28, 28) > 0.8).astype(np.uint8)
              for k, n in (("x_train", n_train), ("x_valid", n_valid), ("x_test", n_test))}
    np.savez_compressed(os.path.join(directory, "binarized_mnist.npz"), **arrays)
    return arrays


def _write_gray(directory, name="mnist.npz", n_train=40, n_test=10):
    # Image i has every pixel 0 or 255 (so its binarization is certain) in a
    # pattern that identifies i, plus one gray row for the statistics.
    rng = np.random.RandomState(1)
    x_train = (rng.rand(n_train, 28, 28) > 0.5).astype(np.uint8) * 255
    x_test = (rng.rand(n_test, 28, 28) > 0.5).astype(np.uint8) * 255
    x_train[:, 0, :] = 128
    x_test[:, 0, :] = 128
    np.savez_compressed(os.path.join(directory, name), x_train=x_train,
                        y_train=np.zeros(n_train, np.uint8), x_test=x_test,
                        y_test=np.zeros(n_test, np.uint8))
    return x_train, x_test


def test_static_mnist_splits(tmp_path):
    arrays = _write_static(str(tmp_path))
    splits = datasets.load_splits("static_mnist", str(tmp_path))
    assert splits.train.shape == (30, 28, 28, 1) and splits.train.dtype == np.uint8
    assert splits.valid.shape == (10, 28, 28, 1) and splits.valid.dtype == np.float32
    assert splits.test.shape == (12, 28, 28, 1) and splits.test.dtype == np.float32
    np.testing.assert_array_equal(splits.train[..., 0], arrays["x_train"])
    np.testing.assert_array_equal(splits.test[..., 0], arrays["x_test"])
    assert splits.spec.binarization == "static"
    assert splits.source.endswith("binarized_mnist.npz")


@pytest.mark.parametrize("name,npz", [("dynamic_mnist", "mnist.npz"),
                                      ("fashion_mnist", "fashion_mnist.npz")])
def test_gray_datasets_hold_out_the_last_training_images(tmp_path, name, npz):
    x_train, x_test = _write_gray(str(tmp_path), npz)
    splits = datasets.load_splits(name, str(tmp_path), validation_size=15)
    assert splits.train.shape == (25, 28, 28, 1) and splits.train.dtype == np.uint8
    np.testing.assert_array_equal(splits.train[..., 0], x_train[:25])
    # Validation and test are binarized: certain pixels keep their value.
    np.testing.assert_array_equal(splits.valid[:, 1:, :, 0], x_train[25:, 1:] / 255)
    np.testing.assert_array_equal(splits.test[:, 1:, :, 0], x_test[:, 1:] / 255)
    gray = np.concatenate([splits.valid[:, 0], splits.test[:, 0]])
    assert set(np.unique(gray)) == {0.0, 1.0}
    assert abs(gray.mean() - 128 / 255) < 0.1


def test_eval_binarization_is_fixed(tmp_path):
    _write_gray(str(tmp_path))
    a = datasets.load_splits("dynamic_mnist", str(tmp_path), validation_size=15)
    b = datasets.load_splits("dynamic_mnist", str(tmp_path), validation_size=15)
    np.testing.assert_array_equal(a.valid, b.valid)
    np.testing.assert_array_equal(a.test, b.test)
    c = datasets.load_splits("dynamic_mnist", str(tmp_path), validation_size=15,
                             eval_binarization_seed=1)
    assert not np.array_equal(a.test, c.test)


def test_missing_data_fails_fast_with_instructions(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_online", lambda: False)
    start = time.time()
    with pytest.raises(datasets.DatasetNotFoundError) as error:
        datasets.load_splits("static_mnist", str(tmp_path))
    assert time.time() - start < 5
    message = str(error.value)
    assert "binarized_mnist.npz" in message and "--data_dir" in message
    assert str(tmp_path) in message


def test_network_probe_gives_up_on_a_silent_server(monkeypatch):
    # A loopback server that accepts connections and never answers: the probe
    # must give up after its timeout instead of waiting like TFDS's retries.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        monkeypatch.setattr(datasets, "_TFDS_PROBE_URL", f"https://127.0.0.1:{port}/")
        monkeypatch.setattr(datasets, "_ONLINE_TIMEOUT_S", 0.5)
        start = time.time()
        assert datasets._online() is False
        assert time.time() - start < 5


def test_network_probe_fails_fast_without_dns(monkeypatch):
    monkeypatch.setattr(datasets, "_TFDS_PROBE_URL", "https://tfds.invalid/")
    assert datasets._online() is False


def test_wrong_npz_layout_is_named(tmp_path):
    np.savez(os.path.join(str(tmp_path), "binarized_mnist.npz"),
             train=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"lacks the arrays .*x_train"):
        datasets.load_splits("static_mnist", str(tmp_path))


def test_wrong_image_shape_is_named(tmp_path):
    np.savez(os.path.join(str(tmp_path), "binarized_mnist.npz"),
             **{k: np.zeros((2, 27, 28), np.uint8) for k in ("x_train", "x_valid", "x_test")})
    with pytest.raises(ValueError, match=r"must be uint8 \[N, 28, 28\]"):
        datasets.load_splits("static_mnist", str(tmp_path))


def test_unknown_dataset_lists_known_names():
    with pytest.raises(KeyError, match="dynamic_mnist, fashion_mnist, static_mnist"):
        datasets.load_splits("omniglot", "/nonexistent")


def test_test_subsets_are_all_in_order_or_a_fixed_random_prefix():
    np.testing.assert_array_equal(datasets.test_subset(7), np.arange(7))
    np.testing.assert_array_equal(datasets.test_subset(7, 7), np.arange(7))
    np.testing.assert_array_equal(datasets.test_subset(7, 100), np.arange(7))
    order = datasets.random_test_order(1000)
    np.testing.assert_array_equal(order, np.random.RandomState(0).permutation(1000))
    subset = datasets.test_subset(1000, 10)
    np.testing.assert_array_equal(subset, order[:10])
    assert len(set(subset.tolist())) == 10 and subset.tolist() != sorted(subset.tolist())


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

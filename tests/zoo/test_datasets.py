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
    assert splits.spec.pixels == "binary"
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
    with pytest.raises(ValueError, match=r"must be uint8 \[N, 28, 28\] \(the images of "
                                         r"'static_mnist'\); got shape \[2, 27, 28\]"):
        datasets.load_splits("static_mnist", str(tmp_path))


def test_unknown_dataset_lists_known_names():
    with pytest.raises(KeyError, match="dynamic_mnist, fashion_mnist, frey_faces, "
                                       "histopathology, omniglot, static_mnist"):
        datasets.load_splits("svhn", "/nonexistent")


def test_a_missing_original_file_says_which_file_and_where(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "_online", lambda: False)
    with pytest.raises(datasets.DatasetNotFoundError) as error:
        datasets.load_splits("frey_faces", str(tmp_path))
    message = str(error.value)
    assert "frey_rawface.mat (Frey Faces (cs.nyu.edu/~roweis/data.html))" in message
    assert f"looked for {tmp_path}/frey_rawface.mat" in message and "--data_dir" in message


def test_a_registered_dataset_reads_its_original_file(tmp_path):
    from scipy import io as scipy_io

    faces = np.random.RandomState(0).randint(0, 256, (560, 1965)).astype(np.uint8)
    scipy_io.savemat(str(tmp_path / "frey_rawface.mat"), {"ff": faces})
    splits = datasets.load_splits("frey_faces", str(tmp_path))
    assert splits.spec.pixels == "gray" and splits.image_shape == (28, 20, 1)
    assert [len(splits.train), len(splits.valid), len(splits.test)] == [1565, 200, 200]
    # Gray pixels: evaluation images are the levels k / 255 themselves, not binarized.
    images = faces.T.reshape(-1, 28, 20)
    order = np.random.RandomState(0).permutation(1965)
    np.testing.assert_array_equal(splits.test[..., 0] * 255, images[order[1765:]])
    assert splits.test.dtype == np.float32


def _write_file(path, **arrays):
    np.savez(path, **arrays)
    return str(path)


def _levels(rng, *shape):
    return rng.randint(0, 256, shape).astype(np.uint8)


def test_a_users_gray_file_infers_gray_pixels_and_holds_out_ten_percent(tmp_path, capsys):
    rng = np.random.RandomState(0)
    x_train, x_test = _levels(rng, 50, 28, 20), _levels(rng, 7, 28, 20)
    path = _write_file(tmp_path / "faces.npz", x_train=x_train, x_test=x_test)
    splits = datasets.load_splits(path)
    assert splits.spec.pixels == "gray" and splits.image_shape == (28, 20, 1)
    np.testing.assert_array_equal(splits.train[..., 0], x_train[:45])
    np.testing.assert_allclose(splits.valid[..., 0], x_train[45:] / np.float32(255), rtol=0)
    np.testing.assert_allclose(splits.test[..., 0], x_test / np.float32(255), rtol=0)
    stderr = capsys.readouterr().err
    assert f"Note: {path}: pixels gray (inferred: values above 1" in stderr
    assert "validating on the last 5 of its 50 training images" in stderr


def test_a_users_binary_rgb_file_with_its_own_validation_split(tmp_path):
    rng = np.random.RandomState(1)
    arrays = {k: rng.randint(0, 2, (n, 32, 32, 3)).astype(np.uint8)
              for k, n in (("x_train", 9), ("x_valid", 4), ("x_test", 3))}
    splits = datasets.load_splits(_write_file(tmp_path / "rgb.npz", **arrays))
    assert splits.spec.pixels == "binary" and splits.image_shape == (32, 32, 3)
    np.testing.assert_array_equal(splits.train, arrays["x_train"])
    np.testing.assert_array_equal(splits.valid, arrays["x_valid"])
    # The same images as levels 0 and 255, binarized dynamically: certain pixels keep theirs.
    gray = {k: v * 255 for k, v in arrays.items()}
    dynamic = datasets.load_splits(_write_file(tmp_path / "gray.npz", **gray),
                                   pixels="dynamic")
    np.testing.assert_array_equal(dynamic.test, arrays["x_test"])
    assert dynamic.spec.pixels == "dynamic"


@pytest.mark.parametrize("arrays,pixels,message", [
    ({"x_test": np.zeros((2, 4, 4), np.uint8)}, None, r"lacks the arrays \['x_train'\]"),
    ({"x_train": np.zeros((2, 4, 4), np.float32), "x_test": np.zeros((2, 4, 4), np.uint8)},
     None, r"split 'train' must be uint8 .*got float32\."),
    ({"x_train": np.full((2, 4, 4), np.nan), "x_test": np.zeros((2, 4, 4), np.uint8)},
     None, r"must be uint8 .*got float64 with non-finite values"),
    ({"x_train": np.zeros((2, 16), np.uint8), "x_test": np.zeros((2, 16), np.uint8)},
     None, r"split 'train' must be \[N, H, W\] or \[N, H, W, C\]; got shape \[2, 16\]"),
    ({"x_train": np.zeros((2, 4, 4), np.uint8), "x_test": np.zeros((2, 4, 5), np.uint8)},
     None, r"split 'test' must be uint8 \[N, 4, 4\] \(like x_train\); got shape \[2, 4, 5\]"),
    ({"x_train": np.full((20, 4, 4), 7, np.uint8), "x_test": np.ones((2, 4, 4), np.uint8)},
     "binary", r"split 'train' has values up to 7; binary pixels are 0 or 1"),
    ({"x_train": np.ones((20, 4, 4), np.uint8), "x_test": np.ones((2, 4, 4), np.uint8)},
     "gray", r"holds only the values 0 and 1, binary pixels; .*Use --pixels=binary"),
])
def test_bad_user_files_are_named_before_any_training(tmp_path, arrays, pixels, message):
    path = _write_file(tmp_path / "mine.npz", **arrays)
    with pytest.raises(datasets.DatasetFileError, match=message) as error:
        datasets.load_splits(path, pixels=pixels)
    assert path in str(error.value)


def test_a_truncated_or_missing_user_file_is_named(tmp_path):
    path = _write_file(tmp_path / "mine.npz", x_train=_levels(np.random.RandomState(0), 9, 4, 4),
                       x_test=_levels(np.random.RandomState(1), 2, 4, 4))
    with open(path, "rb") as f:
        head = f.read(200)
    with open(path, "wb") as f:
        f.write(head)
    with pytest.raises(datasets.DatasetFileError, match=r"mine.npz is not a readable .npz "
                                                         r"archive .*it may be cut short"):
        datasets.load_splits(path)
    with pytest.raises(datasets.DatasetNotFoundError, match=r"absent.npz not found: --dataset "
                                                            r"takes an .npz"):
        datasets.load_splits(str(tmp_path / "absent.npz"))
    with pytest.raises(ValueError, match="pixels must be one of binary, dynamic, gray"):
        datasets.load_splits(path, pixels="grey")


def _sorted_images(images):
    return sorted(image.tobytes() for image in images)


def test_a_prepared_tfds_directory_is_read_offline(tmp_path, monkeypatch):
    """A real prepared TFDS dataset (TFDS's own writer, MNIST's builder and features), read
    with no network and no .npz beside it."""
    import tensorflow as tf
    import tensorflow_datasets as tfds

    monkeypatch.setattr(datasets, "_online", lambda: False)
    builder = tfds.builder("mnist")
    rng = np.random.RandomState(0)
    images = {"train": rng.randint(0, 256, (30, 28, 28, 1)).astype(np.uint8),
              "test": rng.randint(0, 256, (12, 28, 28, 1)).astype(np.uint8)}
    tfds.dataset_builders.store_as_tfds_dataset(
        name="mnist", version=str(builder.version), data_dir=str(tmp_path),
        features=builder.info.features, disable_shuffling=True,
        split_datasets={split: tf.data.Dataset.from_tensor_slices(
            {"image": x, "label": np.zeros(len(x), np.int64)}) for split, x in images.items()})
    splits = datasets.load_splits("dynamic_mnist", str(tmp_path), validation_size=6)
    assert splits.source == f"tfds:mnist in {tmp_path}"
    assert splits.train.shape == (24, 28, 28, 1) and splits.train.dtype == np.uint8
    assert splits.valid.shape == (6, 28, 28, 1) and splits.test.shape == (12, 28, 28, 1)
    # As gray levels: every stored image is in its split exactly once (train or valid).
    gray = datasets.load_splits("dynamic_mnist", str(tmp_path), validation_size=6,
                                pixels="gray")
    levels = lambda x: (x * 255).round().astype(np.uint8)
    assert _sorted_images(np.concatenate([gray.train, levels(gray.valid)])) == _sorted_images(
        images["train"])
    assert _sorted_images(levels(gray.test)) == _sorted_images(images["test"])


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

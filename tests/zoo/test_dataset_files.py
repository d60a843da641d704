"""The original-format readers on synthetic files with the real key names and layouts, and the
pickle loader that runs no code."""

import gzip
import os
import pickle

import numpy as np
import pytest
from scipy import io as scipy_io

from zoo import dataset_files, safe_pickle
from zoo.datasets import DatasetFileError


def _images(rng, n, h, w, levels=256):
    return rng.randint(0, levels, size=(n, h, w)).astype(np.uint8)


def _column_major(images):
    """`[N, H, W]` -> `[N, H * W]` stored column by column, as MATLAB writes them."""
    return images.transpose(0, 2, 1).reshape(len(images), -1)


def test_omniglot_reads_column_major_gray_levels(tmp_path):
    rng = np.random.RandomState(0)
    train, test = _images(rng, 7, 28, 28), _images(rng, 3, 28, 28)
    path = str(tmp_path / "chardata.mat")
    scipy_io.savemat(path, {"data": (_column_major(train) / 255.0).T,
                            "testdata": (_column_major(test) / 255.0).T, "target": np.zeros(7)})
    splits = dataset_files.read_omniglot(path, validation_size=2)
    assert sorted(splits) == ["test", "train", "valid"]
    # The paper's held-out images: the last of a fixed random order of the training images.
    order = np.random.RandomState(dataset_files.OMNIGLOT_SPLIT_SEED).permutation(7)
    np.testing.assert_array_equal(splits["train"], train[order[:5]])
    np.testing.assert_array_equal(splits["valid"], train[order[5:]])
    np.testing.assert_array_equal(splits["test"], test)
    with pytest.raises(DatasetFileError, match="too few to hold out 1345"):
        dataset_files.read_omniglot(path)
    assert splits["train"].dtype == np.uint8


def test_caltech_reads_the_three_splits_inverted(tmp_path):
    rng = np.random.RandomState(1)
    arrays = {split: _images(rng, n, 28, 28, levels=2) for split, n in
              (("train", 5), ("valid", 2), ("test", 3))}
    path = str(tmp_path / "caltech101_silhouettes_28_split1.mat")
    scipy_io.savemat(path, {"train_data": _column_major(arrays["train"]).astype(np.float64),
                            "val_data": _column_major(arrays["valid"]).astype(np.float64),
                            "test_data": _column_major(arrays["test"]).astype(np.float64)})
    splits = dataset_files.read_caltech101_silhouettes(path)
    for split, images in arrays.items():
        np.testing.assert_array_equal(splits[split], 1 - images)


def test_frey_faces_split_is_a_seeded_permutation_of_all_faces(tmp_path):
    rng = np.random.RandomState(2)
    faces = _images(rng, 1965, 28, 20)
    path = str(tmp_path / "frey_rawface.mat")
    scipy_io.savemat(path, {"ff": faces.reshape(1965, -1).T})
    splits = dataset_files.read_frey_faces(path)
    assert [len(splits[s]) for s in ("train", "valid", "test")] == [1565, 200, 200]
    order = np.random.RandomState(dataset_files.FREY_FACES_SPLIT_SEED).permutation(1965)
    np.testing.assert_array_equal(splits["test"], faces[order[1765:]])
    together = np.concatenate([splits[s] for s in ("train", "valid", "test")])
    np.testing.assert_array_equal(np.sort(together.reshape(1965, -1), axis=0),
                                  np.sort(faces.reshape(1965, -1), axis=0))


def test_frey_faces_with_another_count_is_refused(tmp_path):
    path = str(tmp_path / "frey_rawface.mat")
    scipy_io.savemat(path, {"ff": np.zeros((560, 10), np.uint8)})
    with pytest.raises(DatasetFileError, match="1965 faces; got 10"):
        dataset_files.read_frey_faces(path)


def test_histopathology_reads_a_gzip_pickle(tmp_path):
    rng = np.random.RandomState(3)
    arrays = {"training": _images(rng, 4, 28, 28), "validation": _images(rng, 2, 28, 28),
              "test": _images(rng, 3, 28, 28)}
    path = str(tmp_path / "histopathology.pkl.gz")
    with gzip.open(path, "wb") as f:
        pickle.dump({k: (v.reshape(len(v), -1) / 255.0).astype(np.float32)
                     for k, v in arrays.items()}, f)
    splits = dataset_files.read_histopathology(path)
    for split, key in (("train", "training"), ("valid", "validation"), ("test", "test")):
        np.testing.assert_array_equal(splits[split], arrays[key])


def test_cifar10_reads_python_2_pickled_batches(tmp_path):
    rng = np.random.RandomState(4)
    folder = tmp_path / "cifar-10-batches-py"
    folder.mkdir()
    images = {}
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        images[name] = rng.randint(0, 256, size=(2, 32, 32, 3)).astype(np.uint8)
        planes = images[name].transpose(0, 3, 1, 2).reshape(2, -1)   # R, G, B planes
        # Protocol 2 with bytes keys: what Python 2's cPickle wrote, as Python 3 reads it.
        with open(folder / name, "wb") as f:
            pickle.dump({b"data": planes, b"labels": [0, 1], b"batch_label": b"x"}, f,
                        protocol=2)
    splits = dataset_files.read_cifar10(str(folder))
    np.testing.assert_array_equal(
        splits["train"], np.concatenate([images[f"data_batch_{i}"] for i in range(1, 6)]))
    np.testing.assert_array_equal(splits["test"], images["test_batch"])
    os.remove(folder / "data_batch_3")
    with pytest.raises(DatasetFileError, match="data_batch_3 not found"):
        dataset_files.read_cifar10(str(folder))


class _Payload:
    """Unpickling it would call os.system."""

    def __reduce__(self):
        return (os.system, ("echo pwned > /dev/null",))


@pytest.mark.parametrize("value", [
    {"training": _Payload()},
    [np.zeros(3), _Payload()],
    {"data": np.array([1, "a"], dtype=object)},
], ids=["a call to os.system", "inside a list", "an object array"])
def test_a_pickle_with_anything_but_arrays_and_containers_is_refused(tmp_path, value):
    path = str(tmp_path / "histopathology.pkl")
    with open(path, "wb") as f:
        pickle.dump(value, f)
    with pytest.raises(safe_pickle.UnsafePickleError, match="histopathology.pkl"):
        safe_pickle.load(path)
    with pytest.raises(DatasetFileError, match="refusing to unpickle|objects"):
        dataset_files.read_histopathology(path)


def test_safe_pickle_loads_arrays_and_containers_exactly(tmp_path):
    value = {"a": np.arange(6, dtype=np.float32).reshape(2, 3), "b": [1, 2.5, "x", b"y"],
             "c": (np.uint8(3), None, True)}
    path = str(tmp_path / "v.pkl.gz")
    with gzip.open(path, "wb") as f:
        pickle.dump(value, f)
    loaded = safe_pickle.load(path)
    np.testing.assert_array_equal(loaded["a"], value["a"])
    assert loaded["a"].dtype == np.float32
    assert loaded["b"] == value["b"] and loaded["c"] == value["c"]


@pytest.mark.parametrize("writer, reader, message", [
    (lambda p: scipy_io.savemat(p, {"data": np.zeros((784, 2))}), dataset_files.read_omniglot,
     r"lacks the arrays \['testdata'\]; it has \['data'\]"),
    (lambda p: scipy_io.savemat(p, {"data": np.full((784, 2), 2.0),
                                    "testdata": np.zeros((784, 1))}),
     dataset_files.read_omniglot, r"chardata.mat:data must hold values in \[0, 1\]; got \[2, 2\]"),
    (lambda p: scipy_io.savemat(p, {"data": np.zeros((700, 2)), "testdata": np.zeros((784, 1))}),
     dataset_files.read_omniglot, r"chardata.mat:data must be \[N, 784\]; got \[2, 700\]"),
    (lambda p: open(p, "wb").write(b"MATLAB 5.0 cut"), dataset_files.read_omniglot,
     "not a readable .mat file"),
], ids=["missing key", "values above 1", "wrong size", "cut short"])
def test_bad_files_name_the_file_the_array_and_the_problem(tmp_path, writer, reader, message):
    path = str(tmp_path / "chardata.mat")
    writer(path)
    with pytest.raises(DatasetFileError, match=message):
        reader(path)


def test_a_cut_short_pickle_is_a_dataset_file_error(tmp_path):
    path = str(tmp_path / "histopathology.pkl")
    with open(path, "wb") as f:
        f.write(pickle.dumps({"training": np.zeros((2, 784))})[:40])
    with pytest.raises(DatasetFileError, match="not a readable pickle"):
        dataset_files.read_histopathology(path)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

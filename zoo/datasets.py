"""The papers' image datasets as numpy splits: local `.npz`, prepared TFDS, or TFDS download.

Sources, in order:
  1. `<data_dir>/<npz_file>` in the layout of `../shared/data` (uint8 `[N, 28, 28]`).
  2. A prepared TFDS directory: `<data_dir>/<tfds_name>/...` (or `tfds_data_dir`).
  3. A TFDS download, only when the download server answers within seconds.
Offline with none of these, `DatasetNotFoundError` says where to put the files,
within seconds (TFDS's own offline retries take minutes and are never entered).
"""

import dataclasses
import os
import urllib.error
import urllib.request
import zipfile

import numpy as np

from zoo.errors import UserError
from zoo.registry import Registry

__all__ = ["DATASETS", "TEST_SUBSET_RULE", "DatasetFileError", "DatasetNotFoundError",
           "DatasetSpec", "Splits",
           "load_splits", "random_test_order", "test_subset"]

# Where TFDS downloads from; asked once, with a short timeout, before any download.
# (A bare TCP connect is no test: sandboxes may accept connections to anything.)
_TFDS_PROBE_URL = "https://storage.googleapis.com/tfds-data/"
_ONLINE_TIMEOUT_S = 3.0


# How every program picks k of N test images (evaluation, export evaluation, analyses).
TEST_SUBSET_RULE = "np.random.RandomState(0).permutation(N)[:k]"


def random_test_order(num_test):
    """The test indices in the zoo's fixed random order `[num_test]` (`TEST_SUBSET_RULE`).

    Random, not the first k: some test sets are sorted by class (static
    MNIST's starts with its zeros).
    """
    return np.random.RandomState(0).permutation(num_test)


def test_subset(num_test, num_examples=None):
    """Indices of the test images an evaluation on `num_examples` of them uses `[k]`: all, in
    order, when `num_examples` is None or at least `num_test`; else the first `num_examples`
    of `random_test_order`."""
    if num_examples is None or num_examples >= num_test:
        return np.arange(num_test)
    return random_test_order(num_test)[:num_examples]


class DatasetNotFoundError(UserError, FileNotFoundError):
    """No local copy of a dataset and no network to download it."""


class DatasetFileError(UserError, ValueError):
    """A local dataset file that cannot be used: unreadable (cut short, not an archive) or
    with the wrong arrays, dtypes or values; the message names the file and the problem."""


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset lives and how it is binarized.

    Attributes:
        name: the zoo's name (`static_mnist`, `dynamic_mnist`, `fashion_mnist`).
        npz_file: file name in a `--data_dir` laid out like `../shared/data`.
        tfds_name: the TFDS dataset name.
        binarization: "static" (already {0, 1}) or "dynamic" (gray levels,
            re-binarized x ~ Bernoulli(pixel / 255) every training epoch).
        npz_splits: split -> npz key; a missing "valid" is carved from the end
            of the training images.
        tfds_splits: split -> TFDS split name (likewise).
    """

    name: str
    npz_file: str
    tfds_name: str
    binarization: str
    npz_splits: dict
    tfds_splits: dict
    image_shape: tuple = (28, 28, 1)


DATASETS = Registry("dataset", hint="import zoo.datasets")
for _spec in (
    DatasetSpec("static_mnist", "binarized_mnist.npz", "binarized_mnist", "static",
                {"train": "x_train", "valid": "x_valid", "test": "x_test"},
                {"train": "train", "valid": "validation", "test": "test"}),
    DatasetSpec("dynamic_mnist", "mnist.npz", "mnist", "dynamic",
                {"train": "x_train", "test": "x_test"},
                {"train": "train", "test": "test"}),
    DatasetSpec("fashion_mnist", "fashion_mnist.npz", "fashion_mnist", "dynamic",
                {"train": "x_train", "test": "x_test"},
                {"train": "train", "test": "test"}),
):
    DATASETS.register(_spec.name)(_spec)


@dataclasses.dataclass
class Splits:
    """One dataset's splits.

    Attributes:
        spec: the `DatasetSpec`.
        train: uint8 `[N, H, W, C]` as stored ({0, 1} for static, 0..255 for
            dynamic binarization, which the training pipeline applies).
        valid, test: float32 `[N, H, W, C]` in {0, 1}; gray-level data is
            binarized once here with a fixed seed, so evaluations compare.
        source: where the arrays came from (a path or "tfds:<name>").
    """

    spec: DatasetSpec
    train: np.ndarray
    valid: np.ndarray
    test: np.ndarray
    source: str

    @property
    def image_shape(self):
        return self.spec.image_shape


def load_splits(name, data_dir=None, tfds_data_dir=None, validation_size=10000,
                eval_binarization_seed=0):
    """Loads train/valid/test of the dataset registered as `name`.

    Args:
        name: a key of `DATASETS`.
        data_dir: folder holding `<npz_file>` or a prepared TFDS dataset.
        tfds_data_dir: TFDS data directory to use or download into
            (default: `data_dir`, else TFDS's default).
        validation_size: for datasets without an official validation split, the
            number of final training images held out (10,000 in the papers).
        eval_binarization_seed: seed of the one-off binarization of the
            validation and test images of gray-level datasets.

    Raises:
        DatasetNotFoundError: no local copy and no network, within seconds.
        DatasetFileError: a local file that is unreadable or has the wrong keys, shapes or
            values.
    """
    spec = DATASETS.get(name)
    npz_path = os.path.join(data_dir, spec.npz_file) if data_dir else None
    if npz_path and os.path.isfile(npz_path):
        arrays, source = _read_npz(spec, npz_path), npz_path
    else:
        arrays, source = _read_tfds(spec, tfds_data_dir or data_dir, npz_path)
    return _make_splits(spec, arrays, source, validation_size, eval_binarization_seed)


def _read_npz(spec, path):
    try:
        # allow_pickle=False: a data file never runs code.
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for k in spec.npz_splits.values() if k not in archive.files]
            if missing:
                raise DatasetFileError(f"{path} lacks the arrays {missing}; it has "
                                       f"{archive.files}. Expected the layout of ../shared/data.")
            return {split: archive[key] for split, key in spec.npz_splits.items()}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        if isinstance(e, DatasetFileError):
            raise
        raise DatasetFileError(
            f"{path} is not a readable .npz archive ({type(e).__name__}: {e}); it may be cut "
            f"short. Copy it again (the layout of ../shared/data).") from None


def _read_tfds(spec, tfds_data_dir, npz_path):
    prepared = bool(tfds_data_dir) and os.path.isdir(
        os.path.join(tfds_data_dir, spec.tfds_name))
    if not prepared and not _online():
        raise DatasetNotFoundError(
            f"Dataset {spec.name!r} not found and no network to download it. "
            f"Put {spec.npz_file} (uint8 arrays {sorted(spec.npz_splits.values())}, "
            f"images [N, 28, 28]) in a folder and pass it as --data_dir"
            + (f" (looked for {npz_path})" if npz_path else "")
            + f", or pass a --data_dir holding a prepared TFDS '{spec.tfds_name}'.")
    import tensorflow_datasets as tfds  # Slow to import; only needed here.

    arrays = {}
    for split, tfds_split in spec.tfds_splits.items():
        data = tfds.as_numpy(tfds.load(
            spec.tfds_name, split=tfds_split, data_dir=tfds_data_dir,
            batch_size=-1, download=not prepared, try_gcs=False))
        arrays[split] = data["image"][..., 0]
    source = f"tfds:{spec.tfds_name}" + (f" in {tfds_data_dir}" if tfds_data_dir else "")
    return arrays, source


def _online():
    """Whether the TFDS download server answers an HTTPS request within the timeout."""
    request = urllib.request.Request(_TFDS_PROBE_URL, method="HEAD")
    try:
        with urllib.request.urlopen(request, timeout=_ONLINE_TIMEOUT_S):
            return True
    except urllib.error.HTTPError:
        return True   # The server answered, if only with an error status.
    except OSError:   # DNS failure, refused, TLS failure, timeout (URLError is an OSError).
        return False


def _make_splits(spec, arrays, source, validation_size, seed):
    for split, images in arrays.items():
        if images.dtype != np.uint8 or images.shape[1:] != spec.image_shape[:2]:
            raise DatasetFileError(f"{source}: split {split!r} must be uint8 "
                             f"[N, {spec.image_shape[0]}, {spec.image_shape[1]}]; got "
                             f"{images.dtype} {images.shape}.")
        if spec.binarization == "static" and images.max() > 1:
            raise DatasetFileError(f"{source}: split {split!r} of a statically binarized "
                             f"dataset has values above 1.")
    train = arrays["train"]
    valid = arrays.get("valid")
    if valid is None:
        if not 0 < validation_size < len(train):
            raise ValueError(f"validation_size={validation_size} must be in "
                             f"(0, {len(train)}).")
        train, valid = train[:-validation_size], train[-validation_size:]
    rng = np.random.RandomState(seed)

    def binarized(images):
        if spec.binarization == "static":
            return images.astype(np.float32)
        return (rng.uniform(size=images.shape) * 255.0 < images).astype(np.float32)

    channels = lambda a: a[..., None]
    return Splits(spec, channels(train), channels(binarized(valid)),
                  channels(binarized(arrays["test"])), source)

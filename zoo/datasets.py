"""The image datasets as numpy splits: a registered dataset or a user's own `.npz`.

A dataset is named by `load_splits(name)`: a name of `DATASETS`, or the path of a user's
`.npz` archive (any name ending in `.npz`). Sources of a registered dataset, in order:
  1. `<data_dir>/<npz_file>` in the layout of `../shared/data` (uint8 `[N, H, W]`).
  2. Its original file in `<data_dir>` (`original_file`, read by `zoo.dataset_files`).
  3. A prepared TFDS directory: `<data_dir>/<tfds_name>/...` (or `tfds_data_dir`).
  4. A TFDS download, only when the download server answers within seconds.
Offline with none of these, `DatasetNotFoundError` says which file to get and where to put
it, within seconds (TFDS's own offline retries take minutes and are never entered).

Pixels (`PIXELS`) say what the model sees:
  - "binary": values in {0, 1}, used as they are (static MNIST);
  - "dynamic": gray levels 0..255 re-binarized x ~ Bernoulli(k / 255) every training epoch;
    validation and test binarized once with a fixed seed;
  - "gray": the 8-bit values themselves on the grid k / 255 (discretized logistic
    likelihoods; bits/dim).
"""

import dataclasses
import os
import urllib.error
import urllib.request
import zipfile
from typing import Optional

import numpy as np

# The errors live in zoo.errors so that zoo.dataset_files (which this module reads the original
# files with) needs nothing of this module.
from zoo.errors import ConfigError, DatasetFileError, DatasetNotFoundError, note_user
from zoo.registry import Registry

__all__ = ["DATASETS", "PIXELS", "TEST_SUBSET_RULE", "DatasetFileError",
           "DatasetNotFoundError", "DatasetSpec", "Splits", "is_dataset_file",
           "load_splits", "random_test_order", "test_subset"]

PIXELS = ("binary", "dynamic", "gray")

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


_NPZ_SPLITS = {"train": "x_train", "valid": "x_valid", "test": "x_test"}


@dataclasses.dataclass(frozen=True)
class DatasetSpec:
    """Where a dataset lives and what its pixels are.

    Attributes:
        name: the zoo's name (`static_mnist`, `omniglot` ...), or a user file's path.
        pixels: one of `PIXELS`.
        image_shape: `(H, W, C)`.
        npz_file: file name in a `--data_dir` laid out like `../shared/data` (None: none).
        npz_splits: split -> npz key; a missing "valid" is carved from the end
            of the training images.
        tfds_name: the TFDS dataset name (None: not in TFDS).
        tfds_splits: split -> TFDS split name (likewise).
        original_file: the file (or folder) the dataset is distributed as, in `--data_dir`.
        reader: the `zoo.dataset_files` function that reads `original_file`.
    """

    name: str
    pixels: str
    image_shape: tuple = (28, 28, 1)
    npz_file: Optional[str] = None
    npz_splits: dict = dataclasses.field(default_factory=lambda: dict(_NPZ_SPLITS))
    tfds_name: Optional[str] = None
    tfds_splits: Optional[dict] = None
    original_file: Optional[str] = None
    reader: Optional[str] = None

    def __post_init__(self):
        if self.pixels not in PIXELS:
            raise ValueError(f"pixels must be one of {PIXELS}; got {self.pixels!r}.")


DATASETS = Registry("dataset", hint="import zoo.datasets")
_NO_VALID = {"train": "x_train", "test": "x_test"}
for _spec in (
    DatasetSpec("static_mnist", "binary", npz_file="binarized_mnist.npz",
                tfds_name="binarized_mnist",
                tfds_splits={"train": "train", "valid": "validation", "test": "test"}),
    DatasetSpec("dynamic_mnist", "dynamic", npz_file="mnist.npz", npz_splits=_NO_VALID,
                tfds_name="mnist", tfds_splits={"train": "train", "test": "test"}),
    DatasetSpec("fashion_mnist", "dynamic", npz_file="fashion_mnist.npz",
                npz_splits=_NO_VALID, tfds_name="fashion_mnist",
                tfds_splits={"train": "train", "test": "test"}),
    # The VampPrior paper's other datasets, from their original files (zoo.dataset_files).
    DatasetSpec("omniglot", "dynamic", original_file="chardata.mat", reader="read_omniglot"),
    DatasetSpec("caltech101_silhouettes", "binary",
                original_file="caltech101_silhouettes_28_split1.mat",
                reader="read_caltech101_silhouettes"),
    DatasetSpec("frey_faces", "gray", image_shape=(28, 20, 1),
                original_file="frey_rawface.mat", reader="read_frey_faces"),
    DatasetSpec("histopathology", "gray", original_file="histopathology.pkl.gz",
                reader="read_histopathology"),
    DatasetSpec("cifar10", "gray", image_shape=(32, 32, 3),
                original_file="cifar-10-batches-py", reader="read_cifar10",
                tfds_name="cifar10", tfds_splits={"train": "train", "test": "test"}),
):
    DATASETS.register(_spec.name)(_spec)


def is_dataset_file(name):
    """Whether a dataset name is the path of a user's `.npz` archive (not a registered name)."""
    return name.endswith(".npz")


@dataclasses.dataclass
class Splits:
    """One dataset's splits.

    Attributes:
        spec: the `DatasetSpec` (for a user file, the one inferred from it; its `pixels`
            are those the model sees, `--pixels` included).
        train: uint8 `[N, H, W, C]` as stored ({0, 1} for binary pixels, 0..255
            otherwise; the training pipeline binarizes or scales them).
        valid, test: float32 `[N, H, W, C]`: in {0, 1} (dynamic pixels are binarized once
            here with a fixed seed, so evaluations compare), or k / 255 for gray pixels.
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
                eval_binarization_seed=0, pixels=None):
    """Loads train/valid/test of the dataset registered as `name`, or of the `.npz` at `name`.

    Args:
        name: a key of `DATASETS`, or the path of an `.npz` archive holding uint8 `x_train`,
            `x_test` and optionally `x_valid`, each `[N, H, W]` or `[N, H, W, C]`.
        data_dir: folder holding `<npz_file>`, the original file or a prepared TFDS dataset.
        tfds_data_dir: TFDS data directory to use or download into
            (default: `data_dir`, else TFDS's default).
        validation_size: for registered datasets without a validation split, the number of
            final training images held out (10,000 in the papers); a file without `x_valid`
            holds out its last 10%, logged.
        eval_binarization_seed: seed of the one-off binarization of the
            validation and test images of dynamically binarized datasets.
        pixels: one of `PIXELS` (None: the dataset's own; for a user file, "binary" when
            every value is 0 or 1, else "gray", logged).

    Raises:
        DatasetNotFoundError: no local copy and no network, within seconds.
        DatasetFileError: a local file that is unreadable or has the wrong keys, shapes or
            values.
        ConfigError: `pixels` the data cannot have (binary with values above 1, gray levels
            of data that is all 0 and 1).
    """
    if pixels is not None and pixels not in PIXELS:
        raise ConfigError(f"pixels must be one of {', '.join(PIXELS)}; got {pixels!r}.")
    if is_dataset_file(name):
        arrays = _read_npz(name, _NPZ_SPLITS, optional=("valid",))
        spec, source = _spec_of_file(name, arrays, pixels), name
        validation_size = None   # Without x_valid: the last 10% of the training images.
    else:
        spec = DATASETS.get(name)
        arrays, source = _read_registered(spec, data_dir, tfds_data_dir)
        if pixels is not None and pixels != spec.pixels:
            spec = dataclasses.replace(spec, pixels=pixels)
    return _make_splits(spec, arrays, source, validation_size, eval_binarization_seed)


def _read_registered(spec, data_dir, tfds_data_dir):
    npz_path = os.path.join(data_dir, spec.npz_file) if data_dir and spec.npz_file else None
    if npz_path and os.path.isfile(npz_path):
        return _read_npz(npz_path, spec.npz_splits, registered=True), npz_path
    original = (os.path.join(data_dir, spec.original_file)
                if data_dir and spec.original_file else None)
    if original and os.path.exists(original):
        from zoo import dataset_files  # scipy and the unpickler: only for these files.

        return getattr(dataset_files, spec.reader)(original), original
    return _read_tfds(spec, tfds_data_dir or data_dir, npz_path or original)


def _read_npz(path, keys, optional=(), registered=False):
    """{split: array} of the archive's arrays named by `keys` (split -> key); the splits in
    `optional` may be missing. `registered`: the file of a registered dataset (a user's
    file otherwise)."""
    if not os.path.isfile(path):
        raise DatasetNotFoundError(f"{path} not found: --dataset takes an .npz archive with "
                                   f"uint8 x_train, x_test and optionally x_valid.")
    try:
        # allow_pickle=False: a data file never runs code.
        with np.load(path, allow_pickle=False) as archive:
            missing = [k for s, k in keys.items() if k not in archive.files and s not in optional]
            if missing:
                raise DatasetFileError(f"{path} lacks the arrays {missing}; it has "
                                       f"{archive.files}. Expected uint8 x_train, x_test "
                                       f"(and x_valid), as in ../shared/data.")
            return {split: archive[key] for split, key in keys.items() if key in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as e:
        if isinstance(e, DatasetFileError):
            raise
        layout = " (the layout of ../shared/data)" if registered else ""
        raise DatasetFileError(
            f"{path} is not a readable .npz archive ({type(e).__name__}: {e}); it may be cut "
            f"short. Copy it again{layout}.") from None


def _spec_of_file(path, arrays, pixels):
    """The `DatasetSpec` of a user's archive: its image shape and (given or inferred) pixels."""
    train = arrays["train"]
    shape = tuple(train.shape[1:]) + ((1,) if train.ndim == 3 else ())
    if pixels is None:
        binary = all(a.dtype == np.uint8 and (a.size == 0 or a.max() <= 1)
                     for a in arrays.values())
        pixels = "binary" if binary else "gray"
        note_user(f"{path}: pixels {pixels} (inferred: "
                  f"{'every value is 0 or 1' if binary else 'values above 1'}; --pixels "
                  f"overrides).")
    return DatasetSpec(name=path, pixels=pixels, image_shape=shape)


def _read_tfds(spec, tfds_data_dir, looked_for):
    prepared = bool(tfds_data_dir and spec.tfds_name) and os.path.isdir(
        os.path.join(tfds_data_dir, spec.tfds_name))
    if not prepared and (spec.tfds_name is None or not _online()):
        raise DatasetNotFoundError(_not_found_message(spec, looked_for))
    import tensorflow_datasets as tfds  # Slow to import; only needed here.

    arrays = {}
    for split, tfds_split in spec.tfds_splits.items():
        data = tfds.as_numpy(tfds.load(
            spec.tfds_name, split=tfds_split, data_dir=tfds_data_dir,
            batch_size=-1, download=not prepared, try_gcs=False))
        arrays[split] = data["image"]
    source = f"tfds:{spec.tfds_name}" + (f" in {tfds_data_dir}" if tfds_data_dir else "")
    return arrays, source


def _stored_shape(image_shape):
    """How arrays of `(H, W, C)` images are stored: "[N, H, W]" for one channel, else
    "[N, H, W, C]"."""
    return "[N, {}]".format(", ".join(map(str, image_shape[:2] if image_shape[2] == 1
                                          else image_shape)))


def _not_found_message(spec, looked_for):
    where = []
    if spec.npz_file:
        where.append(f"{spec.npz_file} (uint8 arrays {sorted(spec.npz_splits.values())}, "
                     f"images {_stored_shape(spec.image_shape)})")
    if spec.original_file:
        from zoo.dataset_files import SOURCES

        where.append(f"{spec.original_file} ({SOURCES[spec.original_file]})")
    message = (f"Dataset {spec.name!r} not found and no network to download it. Put "
               f"{' or '.join(where)} in a folder and pass it as --data_dir")
    if looked_for:
        message += f" (looked for {looked_for})"
    if spec.tfds_name:
        message += f", or pass a --data_dir holding a prepared TFDS '{spec.tfds_name}'"
    return message + "."


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


def _checked_images(spec, split, images, source):
    """`images` as uint8 `[N, H, W, C]`, or a `DatasetFileError` naming what is wrong."""
    where = f"{source}: split {split!r}"
    if images.dtype != np.uint8:
        finite = (not np.issubdtype(images.dtype, np.inexact)) or np.all(np.isfinite(images))
        raise DatasetFileError(f"{where} must be uint8 (8-bit levels 0..255, or 0 and 1); got "
                               f"{images.dtype}" + ("" if finite else " with non-finite values")
                               + ".")
    if images.ndim not in (3, 4):
        raise DatasetFileError(f"{where} must be [N, H, W] or [N, H, W, C]; got shape "
                               f"{list(images.shape)}.")
    stored = list(images.shape)
    images = images[..., None] if images.ndim == 3 else images
    if images.shape[1:] != tuple(spec.image_shape):
        like = ("like x_train" if is_dataset_file(spec.name)
                else f"the images of {spec.name!r}")
        raise DatasetFileError(f"{where} must be uint8 {_stored_shape(spec.image_shape)} "
                               f"({like}); got shape {stored}.")
    if len(images) == 0:
        raise DatasetFileError(f"{where} holds no images.")
    return images


def _make_splits(spec, arrays, source, validation_size, seed):
    arrays = {split: _checked_images(spec, split, np.asarray(images), source)
              for split, images in arrays.items()}
    top = max(int(images.max()) for images in arrays.values())
    if spec.pixels == "binary" and top > 1:
        split = next(s for s, a in arrays.items() if a.max() > 1)
        raise DatasetFileError(f"{source}: split {split!r} has values up to "
                               f"{int(arrays[split].max())}; binary pixels are 0 or 1 (gray levels "
                               f"take --pixels=dynamic or --pixels=gray).")
    if spec.pixels != "binary" and top <= 1:
        raise DatasetFileError(f"{source} holds only the values 0 and 1, binary pixels; as "
                               f"{spec.pixels} gray levels (k / 255) they would be almost "
                               f"black. Use --pixels=binary.")
    train = arrays["train"]
    valid = arrays.get("valid")
    if valid is None:
        if validation_size is None:   # A user's file: the last 10% of its training images.
            validation_size = max(1, len(train) // 10)
            note_user(f"{source}: no x_valid; validating on the last {validation_size} of "
                      f"its {len(train)} training images (10%).")
        if not 0 < validation_size < len(train):
            raise ConfigError(f"validation_size={validation_size} must be in "
                              f"(0, {len(train)}): {source} has {len(train)} training images.")
        train, valid = train[:-validation_size], train[-validation_size:]
    rng = np.random.RandomState(seed)

    def for_evaluation(images):
        if spec.pixels == "binary":
            return images.astype(np.float32)
        if spec.pixels == "gray":
            return images.astype(np.float32) / np.float32(255.0)
        return (rng.uniform(size=images.shape) * 255.0 < images).astype(np.float32)

    return Splits(spec, train, for_evaluation(valid), for_evaluation(arrays["test"]), source)

"""The VampPrior paper's other datasets, read from their original files into uint8 splits.

Each reader returns `{split: uint8 [N, H, W] or [N, H, W, C]}` with splits among
"train", "valid" and "test" (a missing "valid" is carved from the training images by
`zoo.datasets`). Layouts are those the papers' code reads (jmtomczak/vae_vampprior,
utils/load_data.py); gray levels in [0, 1] become k = round(255 x). Nothing here can
download them: each file's `SOURCES` entry says where it comes from.

Every problem (a missing key, a wrong shape, values out of range, a pickle that would run
code) is a `DatasetFileError` naming the file, the array and the problem.
"""

import os
import pickle

import numpy as np

from zoo import safe_pickle
from zoo.errors import DatasetFileError

__all__ = ["FREY_FACES_SPLIT_SEED", "OMNIGLOT_SPLIT_SEED", "OMNIGLOT_VALIDATION_SIZE",
           "SOURCES", "read_caltech101_silhouettes", "read_cifar10",
           "read_frey_faces", "read_histopathology", "read_omniglot"]

SOURCES = {
    "chardata.mat": "Omniglot 28 x 28 of Burda et al. (github.com/yburda/iwae, datasets/OMNIGLOT)",
    "caltech101_silhouettes_28_split1.mat":
        "Caltech 101 Silhouettes (people.cs.umass.edu/~marlin/data.shtml)",
    "frey_rawface.mat": "Frey Faces (cs.nyu.edu/~roweis/data.html)",
    "histopathology.pkl.gz": "gray histopathology patches of the VampPrior code "
                             "(github.com/jmtomczak/vae_vampprior, datasets/HistopathologyGray)",
    "cifar-10-batches-py": "CIFAR-10, python version (cs.toronto.edu/~kriz/cifar.html)",
}

# The VampPrior paper splits Frey Faces at random 1565 / 200 / 200 (its code's unseeded
# np.random.shuffle); the zoo fixes the permutation: np.random.RandomState(seed).permutation.
FREY_FACES_SPLIT_SEED = 0
# Omniglot: the VampPrior paper holds out 1,345 random training images for validation.
OMNIGLOT_SPLIT_SEED = 0
OMNIGLOT_VALIDATION_SIZE = 1345


def _loadmat(path, keys):
    from scipy import io as scipy_io  # scipy is slow to import; only these readers need it.

    try:
        contents = scipy_io.loadmat(path)
    except (OSError, ValueError, TypeError, scipy_io.matlab.MatReadError) as e:
        raise DatasetFileError(f"{path} is not a readable .mat file ({type(e).__name__}: {e}); "
                               f"it may be cut short.") from None
    missing = [k for k in keys if k not in contents]
    if missing:
        found = sorted(k for k in contents if not k.startswith("__"))
        raise DatasetFileError(f"{path} lacks the arrays {missing}; it has {found}.")
    return {k: np.asarray(contents[k]) for k in keys}


def _to_gray_levels(values, source):
    """uint8 k from values in [0, 1] (k = round(255 x)) or already in 0..255."""
    if values.dtype == np.uint8:
        return values
    values = np.asarray(values, np.float64)
    if not np.all(np.isfinite(values)):
        raise DatasetFileError(f"{source} holds non-finite values.")
    if values.min() < 0 or values.max() > 1:
        raise DatasetFileError(f"{source} must hold values in [0, 1]; got "
                               f"[{values.min():g}, {values.max():g}].")
    return np.round(values * 255.0).astype(np.uint8)


def _column_major_images(flat, height, width, source):
    """`[N, height * width]` of images stored column by column (MATLAB's order) -> `[N, H, W]`."""
    if flat.ndim != 2 or flat.shape[1] != height * width:
        raise DatasetFileError(f"{source} must be [N, {height * width}]; got {list(flat.shape)}.")
    return flat.reshape(-1, width, height).transpose(0, 2, 1)


def read_omniglot(path, seed=OMNIGLOT_SPLIT_SEED, validation_size=OMNIGLOT_VALIDATION_SIZE):
    """`chardata.mat`: `data` and `testdata`, `[784, N]` gray levels in [0, 1], column-major
    images -> train (23,000), valid (1,345) and test (8,070), uint8 `[N, 28, 28]` (binarized
    dynamically). The validation images are the last `validation_size` (1,345) of the 24,345
    training images in the order `np.random.RandomState(seed).permutation`, as the VampPrior
    code holds them out (its shuffle is unseeded)."""
    arrays = _loadmat(path, ["data", "testdata"])
    train, test = (_to_gray_levels(_column_major_images(arrays[key].T, 28, 28, f"{path}:{key}"),
                                   f"{path}:{key}") for key in ("data", "testdata"))
    if len(train) <= validation_size:
        raise DatasetFileError(f"{path}:data holds {len(train)} images, too few to hold out "
                               f"{validation_size} for validation; Omniglot has 24,345.")
    order = np.random.RandomState(seed).permutation(len(train))
    return {"train": train[order[:-validation_size]],
            "valid": train[order[-validation_size:]], "test": test}


def read_caltech101_silhouettes(path):
    """`caltech101_silhouettes_28_split1.mat`: `train_data`, `val_data`, `test_data`,
    `[N, 784]` in {0, 1}, column-major -> uint8 `[N, 28, 28]`, inverted as the VampPrior code
    does (1 - x: the silhouette is 1)."""
    keys = {"train": "train_data", "valid": "val_data", "test": "test_data"}
    arrays = _loadmat(path, list(keys.values()))
    splits = {}
    for split, key in keys.items():
        source = f"{path}:{key}"
        images = _column_major_images(arrays[key], 28, 28, source)
        if not np.isin(images, (0, 1)).all():
            raise DatasetFileError(f"{source} must hold values in {{0, 1}}.")
        splits[split] = (1 - images).astype(np.uint8)
    return splits


def read_frey_faces(path, seed=FREY_FACES_SPLIT_SEED):
    """`frey_rawface.mat`: `ff`, uint8 `[560, 1965]`, one 28 x 20 face per column (row-major)
    -> a random 1565 / 200 / 200 train / valid / test split of uint8 `[N, 28, 20]` (gray)."""
    faces = _loadmat(path, ["ff"])["ff"]
    source = f"{path}:ff"
    if faces.ndim != 2 or faces.shape[0] != 28 * 20:
        raise DatasetFileError(f"{source} must be [560, N]; got {list(faces.shape)}.")
    if len(faces.T) != 1965:
        raise DatasetFileError(f"{source} must hold the 1965 faces; got {len(faces.T)}.")
    faces = _to_gray_levels(faces, source)
    images = faces.T.reshape(-1, 28, 20)
    order = np.random.RandomState(seed).permutation(len(images))
    return {"train": images[order[:1565]], "valid": images[order[1565:1765]],
            "test": images[order[1765:]]}


def read_histopathology(path):
    """`histopathology.pkl.gz` (or `.pkl`): a dict with "training", "validation" and "test",
    each reshapeable to `[N, 28, 28]`, gray levels in [0, 1] -> uint8 `[N, 28, 28]`."""
    value = _unpickle(path)
    keys = {"train": "training", "valid": "validation", "test": "test"}
    if not isinstance(value, dict) or any(k not in value for k in keys.values()):
        found = sorted(value) if isinstance(value, dict) else type(value).__name__
        raise DatasetFileError(f"{path} must hold a dict with {sorted(keys.values())}; got "
                               f"{found}.")
    splits = {}
    for split, key in keys.items():
        source = f"{path}:{key}"
        images = np.asarray(value[key])
        if images.size % (28 * 28):
            raise DatasetFileError(f"{source} does not hold 28 x 28 images; shape "
                                   f"{list(images.shape)}.")
        splits[split] = _to_gray_levels(images.reshape(-1, 28, 28), source)
    return splits


def read_cifar10(folder):
    """`cifar-10-batches-py/`: `data_batch_1` ... `data_batch_5` and `test_batch`, pickled
    dicts whose "data" is uint8 `[10000, 3072]` (the red, green and blue planes of each image,
    row by row) -> train (50,000) and test (10,000), uint8 `[N, 32, 32, 3]`."""
    def batch(name):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            raise DatasetFileError(f"{path} not found: {folder} must hold the python version's "
                                   f"data_batch_1 ... data_batch_5 and test_batch.")
        value = _unpickle(path)
        data = value.get("data") if isinstance(value, dict) else None
        if data is None:
            raise DatasetFileError(f"{path} must hold a dict with 'data'.")
        data = np.asarray(data)
        if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3 * 32 * 32:
            raise DatasetFileError(f"{path}:data must be uint8 [N, 3072]; got {data.dtype} "
                                   f"{list(data.shape)}.")
        return data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)

    return {"train": np.concatenate([batch(f"data_batch_{i}") for i in range(1, 6)]),
            "test": batch("test_batch")}


def _unpickle(path):
    try:
        value = safe_pickle.load(path)
    except safe_pickle.UnsafePickleError as e:
        raise DatasetFileError(str(e)) from None
    except (OSError, EOFError, ValueError, TypeError, KeyError, IndexError,
            AttributeError, pickle.UnpicklingError) as e:
        raise DatasetFileError(f"{path} is not a readable pickle ({type(e).__name__}: {e}); it "
                               f"may be cut short.") from None
    # Keys of bytes (a copy re-pickled by Python 3 with bytes keys) read as str.
    if isinstance(value, dict):
        value = {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in value.items()}
    return value

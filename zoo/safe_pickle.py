"""Reading pickled data from elsewhere without running its code.

A pickle names the functions that rebuild its objects, and a bare `pickle.load` calls
whatever it names: a downloaded data file could run anything. `load` admits plain
containers (dict, list, tuple, str, bytes, numbers) and numpy arrays and dtypes, and
refuses every other global with `UnsafePickleError`, before calling it. (The standard
library offers this mechanism, `Unpickler.find_class`, and no ready-made policy; numpy's
own loader has only all-or-nothing `allow_pickle`.)
"""

import gzip
import pickle

import numpy as np

from zoo.errors import UserError

__all__ = ["ALLOWED_GLOBALS", "UnsafePickleError", "load"]

# What numpy's `ndarray.__reduce__` and dtype pickling name (numpy 1.x and 2.x module paths),
# and `_codecs.encode`, which protocol-2 pickles written by Python 3 call to rebuild bytes
# (it only turns a str into bytes).
ALLOWED_GLOBALS = frozenset({
    ("_codecs", "encode"),
    ("numpy", "ndarray"), ("numpy", "dtype"),
    ("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar"),
})


class UnsafePickleError(UserError, ValueError):
    """A pickle that names a global outside `ALLOWED_GLOBALS`, or holds an object array."""


class _DataUnpickler(pickle.Unpickler):

    def __init__(self, file, source):
        # encoding="latin1": Python 2 pickles (CIFAR-10's, the VampPrior code's) hold numpy's
        # buffers as str; latin1 maps their bytes one to one.
        super().__init__(file, encoding="latin1")
        self._source = source

    def find_class(self, module, name):
        if (module, name) not in ALLOWED_GLOBALS:
            raise UnsafePickleError(
                f"{self._source}: refusing to unpickle {module}.{name}; a data pickle may hold "
                f"only numpy arrays and plain containers.")
        return super().find_class(module, name)


def load(path):
    """The object pickled in `path` (gzip-compressed when the name ends in `.gz`).

    Raises:
        UnsafePickleError: the pickle names any other global, or holds a numpy array of
            Python objects (whose elements would be unpickled objects).
        OSError, EOFError, pickle.UnpicklingError: an unreadable or cut-short file.
    """
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        value = _DataUnpickler(f, path).load()
    _check_no_object_arrays(value, path)
    return value


def _check_no_object_arrays(value, source):
    if isinstance(value, np.ndarray) and value.dtype.hasobject:
        raise UnsafePickleError(f"{source}: holds a numpy array of Python objects; a data "
                                f"pickle may hold numeric arrays only.")
    items = value.values() if isinstance(value, dict) else value
    if isinstance(value, (dict, list, tuple)):
        for item in items:
            _check_no_object_arrays(item, source)

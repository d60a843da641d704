"""Durable file writes: a file is flushed to disk before a name points at it."""

import json
import os

import numpy as np

__all__ = ["fsync", "save_keras_atomically", "write_json", "write_json_atomically",
           "write_npz_atomically"]


def fsync(path):
    """Flushes a written file (or a folder's entries) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_json(path, payload):
    """Writes `payload` as JSON to `path` and flushes it to disk."""
    with open(path, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())


def write_json_atomically(path, payload):
    """Writes `payload` as JSON to `path.tmp`, flushes it and renames it to `path`.

    Readers see the old file or the new one, never a half-written one; a write
    that fails (a full disk) removes `path.tmp` and leaves `path` as it was.
    """
    tmp = path + ".tmp"
    try:
        write_json(tmp, payload)
    except BaseException:
        _remove_if_there(tmp)
        raise
    os.replace(tmp, path)


def _remove_if_there(path):
    try:
        os.remove(path)
    except FileNotFoundError:
        pass


def write_npz_atomically(path, **arrays):
    """Writes `arrays` as an uncompressed `.npz` to `path.tmp.npz`, flushes it and renames it."""
    tmp = path + ".tmp.npz"
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def save_keras_atomically(model, path, save=None):
    """Saves `model` as the `.keras` file `path`: written beside it under a hidden name,
    flushed, then renamed, so `path` is always a whole model (the old one or the new).

    Args:
        save: `save(model, temporary_path)` instead of `model.save` (e.g. one that
            swaps averaged weights in first).
    """
    folder, name = os.path.split(path)
    tmp = os.path.join(folder, f".partial-{name}")   # ends in .keras, as Keras requires
    try:
        (save or (lambda m, p: m.save(p)))(model, tmp)
        fsync(tmp)
    except BaseException:
        _remove_if_there(tmp)
        raise
    os.replace(tmp, path)

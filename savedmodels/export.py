"""Exports a model as a SavedModel in TF Serving's layout, atomically.

`export_model(model, export_base, name, metadata=...)` writes
`<export_base>/<name>/<version>/` (tag `serve`) holding the signatures of
`savedmodels.signatures`, `assets.extra/zoo_export.json`: the signatures'
documentation, the model's shapes and the caller's metadata (the experiment,
its test metrics, the command that trained it), and `assets.extra/model.keras`:
the Keras model itself (weights and config, no optimizer state), for Python
users who fine-tune it or reuse its prior (`keras.models.load_model(path,
compile=False)`). TF Serving ignores `assets.extra/`. The program that exports
a training workdir is `python -m trainers.export`.

Atomicity: the SavedModel is written into a hidden staging folder beside the
versions (`.<version>.partial-XXXX`, a name TF Serving ignores), flushed to disk,
and renamed to `<version>` in one step. A failed or killed export leaves at most
a hidden folder, never a partial version; an existing version is never replaced
(the export stops with an error naming the next free version).
"""

import dataclasses
import datetime
import json
import os
import shutil
import tempfile

import keras
import tensorflow as tf

from savedmodels.signatures import (
    SERVING_DEFAULT,
    ServingLimits,
    serving_functions,
    signature_docs,
)
from zoo import presets
from zoo.errors import UserError
from zoo.files import fsync

__all__ = ["KERAS_MODEL", "METADATA", "ExportError", "export_model", "next_version",
           "read_metadata"]

METADATA = os.path.join("assets.extra", "zoo_export.json")
KERAS_MODEL = presets.KERAS_MODEL   # what VAE.from_preset loads


class ExportError(UserError, ValueError):
    """A bad export name or version, or an export that lacks what is asked of it."""


def next_version(model_dir):
    """One more than the largest integer version in `model_dir` (1 if none)."""
    versions = [int(n) for n in os.listdir(model_dir) if n.isdigit()] if os.path.isdir(
        model_dir) else []
    return max(versions, default=0) + 1


def read_metadata(export_dir):
    """The `zoo_export.json` of one exported version."""
    with open(os.path.join(export_dir, METADATA)) as f:
        return json.load(f)


def _check_name(name):
    if not name or name.startswith(".") or os.sep in name or name != name.strip():
        raise ExportError(f"The name must be a plain folder name; got {name!r}.")


def _fsync_tree(root):
    """Flushes every file and folder under `root` to disk before the rename publishes it."""
    for folder, _, files in os.walk(root):
        for path in [os.path.join(folder, f) for f in files] + [folder]:
            fsync(path)


def _write_savedmodel(model, path, limits):
    # Not `archive.track(model)`: the archive saves the variables its endpoints
    # use anyway, and tracking the model would store every weight a second time
    # (as Keras variables beside the tf.Variables under them).
    archive = keras.export.ExportArchive()
    functions = serving_functions(model, limits)
    # The first endpoint also becomes "serving_default" (ExportArchive.write_out).
    for name in [SERVING_DEFAULT] + [n for n in functions if n != SERVING_DEFAULT]:
        fn, input_signature = functions[name]
        archive.add_endpoint(name, fn, input_signature)
    archive.write_out(path, verbose=False)


def _write_keras_model(model, path):
    """Saves `model` as a `.keras` file without optimizer state (a compiled model's
    optimizer is left out: the export is for inference and fine-tuning from its weights)."""
    optimizer = getattr(model, "optimizer", None)
    if optimizer is None:
        model.save(path)
        return
    model.optimizer = None
    try:
        model.save(path)
    finally:
        model.optimizer = optimizer


def _export_metadata(model, name, version, limits, metadata):
    """`zoo_export.json`: the export's own record, then the caller's `metadata` over it."""
    return {
        "format_version": 1, "name": name, "version": version,
        "exported_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "tensorflow_version": tf.__version__, "keras_version": keras.__version__,
        "serving_default": SERVING_DEFAULT,
        "signatures": signature_docs(model, limits),
        "limits": dataclasses.asdict(limits),
        "model": {"class": type(model).__name__,
                  "event_shape": list(model.event_shape),
                  "latent_shape": list(model.latent_shape),
                  "prior": type(model.prior).__name__,
                  "likelihood": type(model.likelihood).__name__},
        "keras_model": KERAS_MODEL,
        **(metadata or {}),
    }


def export_model(model, export_base, name, version=None, metadata=None,
                 limits=ServingLimits()):
    """Exports `model` to `<export_base>/<name>/<version>/`; returns that path.

    Args:
        model: a built zoo model (e.g. `zoo.models.VAE`).
        export_base: TF Serving's base folder; `<export_base>/<name>` is its
            `model_base_path`.
        name: the model's name (a plain folder name).
        version: a positive integer; None takes `next_version`.
        metadata: a JSON-serializable dict merged into `zoo_export.json`
            (experiment, metrics, training).
        limits: `ServingLimits` of the signatures.

    Raises:
        FileExistsError: the version exists already.
    """
    _check_name(name)
    model_dir = os.path.join(export_base, name)
    os.makedirs(model_dir, exist_ok=True)
    version = next_version(model_dir) if version is None else int(version)
    if version < 1:
        raise ExportError(f"The version must be a positive integer; got {version}.")
    final = os.path.join(model_dir, str(version))
    exists_error = lambda: FileExistsError(
        f"{final} exists; an export never replaces a version. Pass another version "
        f"(the next free one is {next_version(model_dir)}) or remove it yourself.")
    if os.path.exists(final):
        raise exists_error()

    staging = tempfile.mkdtemp(prefix=f".{version}.partial-", dir=model_dir)
    try:
        _write_savedmodel(model, staging, limits)
        os.makedirs(os.path.join(staging, "assets.extra"), exist_ok=True)
        _write_keras_model(model, os.path.join(staging, KERAS_MODEL))
        payload = _export_metadata(model, name, version, limits, metadata)
        with open(os.path.join(staging, METADATA), "w") as f:
            json.dump(payload, f, indent=2, sort_keys=True)
        # mkdtemp makes the folder private (0700); a server running as another
        # user must be able to read the published version.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)
        _fsync_tree(staging)
        if os.path.exists(final):
            raise exists_error()
        os.rename(staging, final)   # Atomic; refuses to replace a non-empty folder.
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    fsync(model_dir)   # The rename itself reaches the disk.
    return final

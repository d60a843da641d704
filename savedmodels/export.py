"""Exports a model as a SavedModel in TF Serving's layout, atomically.

`export_model(model, export_base, name, metadata=...)` writes
`<export_base>/<name>/<version>/` (tag `serve`) holding the signatures of
`savedmodels.signatures`, `assets.extra/zoo_export.json`: the signatures'
documentation, the model's shapes and the caller's metadata (the experiment,
its test metrics, the command that trained it), and `assets.extra/keras_model.json`:
the Keras model itself (no optimizer state), for Python users who fine-tune it
or reuse its prior (`zoo.presets.load_keras_model(export_dir)`, or
`VAE.from_preset(name)` in the registry). That file holds the model's Keras
config and where each weight's value is: the SavedModel's own variables, so the
weights are stored once (until 2026-12-07 a whole `model.keras` stored them a
second time). TF Serving ignores `assets.extra/`. The program that exports a
training workdir is `python -m trainers.export`.

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
import numpy as np
import tensorflow as tf

from savedmodels.signatures import (
    SERVING_DEFAULT,
    ServingLimits,
    serving_functions,
    signature_docs,
)
from zoo import presets
from zoo.errors import UserError
from zoo.files import fsync, write_json_atomically

__all__ = ["KERAS_CONFIG", "KERAS_MODEL", "KERAS_WEIGHTS", "METADATA", "ExportError",
           "export_model", "keras_config", "next_version", "read_metadata",
           "write_keras_config"]

METADATA = os.path.join("assets.extra", "zoo_export.json")
KERAS_CONFIG = presets.KERAS_CONFIG   # what VAE.from_preset loads
KERAS_MODEL = presets.KERAS_MODEL     # older exports' whole .keras file
# The SavedModel's collection of every Keras weight, so that the few no signature
# reads (the model's KL weight `beta`) are in its checkpoint too.
KERAS_WEIGHTS = "keras_weights"


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
    for folder, _, names in os.walk(root):
        for path in [os.path.join(folder, name) for name in names] + [folder]:
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
    # The same tf.Variable objects the endpoints capture (a Keras variable's
    # `.value`), so the checkpoint stores each once.
    archive.add_variable_collection(KERAS_WEIGHTS, [weight.value for weight in model.weights])
    archive.write_out(path, verbose=False)


def keras_config(model, checkpoint, max_inline_values=1024):
    """The `keras_model.json` of `model` (see `zoo.presets.model_from_keras_config`).

    Each weight points at the tensor of `checkpoint` that holds its exact value
    (a SavedModel's variables are saved under names of the archive's own, e.g.
    `_all_variables/3/...`, not the weights' paths); where several tensors hold
    the same array any of them is that weight's value. A weight in no tensor is
    written out in the file when it has at most `max_inline_values` values (the
    scalars no signature reads, in an older export's SavedModel).

    Raises:
        ExportError: a larger weight that `checkpoint` lacks.
    """
    reader = tf.train.load_checkpoint(checkpoint)
    shapes = reader.get_variable_to_shape_map()
    dtypes = reader.get_variable_to_dtype_map()
    tensors = {}   # read once each, when a weight of that shape and dtype asks
    taken = set()
    entries = []
    for weight in model.weights:
        value = keras.ops.convert_to_numpy(weight)
        entry = {"path": weight.path, "shape": list(value.shape), "dtype": value.dtype.name}
        # Keys not yet taken first, in numeric order (`keras_weights/2` before `/10`), so
        # that equal arrays (untrained zero biases) still map one to one.
        candidates = sorted((k for k in shapes if tuple(shapes[k]) == value.shape
                             and dtypes[k].as_numpy_dtype == value.dtype),
                            key=lambda k: (k in taken, len(k), k))
        for key in candidates:
            if key not in tensors:
                tensors[key] = reader.get_tensor(key)
            if np.array_equal(tensors[key], value):
                entry["checkpoint_key"] = key
                taken.add(key)
                break
        else:
            if value.size > max_inline_values:
                raise ExportError(f"The weight {weight.path} {value.shape} is not in "
                                  f"{checkpoint}; its {value.size:,} values are too many to "
                                  "write into the model's Keras config.")
            entry["value"] = value.tolist()
        entries.append(entry)
    config = json.loads(model.to_json())
    # No optimizer: the export is for inference and fine-tuning from its weights.
    config.pop("compile_config", None)
    return {"format": presets.KERAS_CONFIG_FORMAT,
            "keras_version": keras.__version__, "model": config, "weights": entries}


def write_keras_config(model, export_dir):
    """Writes `<export_dir>/assets.extra/keras_model.json` of `model`, whose weights are
    the export's variables, after checking that it rebuilds `model` exactly; returns it.

    Raises:
        ExportError: the config rebuilds other weights or other values.
    """
    payload = keras_config(model, os.path.join(export_dir, presets.CHECKPOINT))
    rebuilt = presets.model_from_keras_config(payload, os.path.join(export_dir,
                                                                    presets.CHECKPOINT))
    if type(rebuilt) is not type(model):
        raise ExportError(f"The Keras config rebuilds a {type(rebuilt).__name__}, not a "
                          f"{type(model).__name__}.")
    for mine, theirs in zip(model.weights, rebuilt.weights):
        if not np.array_equal(keras.ops.convert_to_numpy(mine),
                              keras.ops.convert_to_numpy(theirs)):
            raise ExportError(f"The Keras config rebuilds {mine.path} with other values.")
    path = os.path.join(export_dir, KERAS_CONFIG)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    write_json_atomically(path, payload)
    return path


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
        "keras_model": KERAS_CONFIG,
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
        write_keras_config(model, staging)
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

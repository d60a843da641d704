"""Presets: the trained Keras models of the shipped pretrained exports.

    from zoo.models import VAE
    vae = VAE.from_preset("vae_vamp_static_mnist")   # a trained zoo.models.VAE
    vae.log_likelihood(x, num_samples=1000)          # nats, [batch]
    vae.prior                                        # a Keras layer (here the VampPrior)

Each export of the registry (`savedmodels/pretrained/<name>/<version>/`, see
`savedmodels.export`) ships the Keras model it was exported from as
`assets.extra/keras_model.json`: the model's Keras config and, for each of its
weights in `model.weights` order, where its value is. The values are the
SavedModel's own variables (`variables/variables`, the checkpoint TF Serving
reads), so a model's weights are stored once. (An older export rewritten by
`savedmodels.store_weights_once` lacks the weights no signature reads, such as
the model's KL weight `beta`, in its checkpoint; those scalars are in the file.)
`load_keras_model(export_dir)` rebuilds the model from the config and sets its
weights; exports made before 2026-12-07 ship a whole `.keras` file instead
(`assets.extra/model.keras`, the weights a second time), which it loads as it is.

The registry folder is `$ZOO_PRETRAINED_DIR` when set, else the
`savedmodels/pretrained/` folder installed beside this package (the
repository's, or the one `pip install` copies).
"""

import json
import os

from zoo.errors import UnknownNameError, UserError

__all__ = ["CHECKPOINT", "KERAS_CONFIG", "KERAS_CONFIG_FORMAT", "KERAS_MODEL",
           "KerasConfigError", "NoKerasModelError", "REGISTRY_ENV", "SHIPPED_REGISTRY",
           "keras_model_file", "load_keras_model", "load_preset", "model_from_keras_config",
           "model_versions", "preset_dir", "preset_names", "registry_dir"]

REGISTRY_ENV = "ZOO_PRETRAINED_DIR"
KERAS_CONFIG = os.path.join("assets.extra", "keras_model.json")
KERAS_CONFIG_FORMAT = 1
KERAS_MODEL = os.path.join("assets.extra", "model.keras")   # exports before 2026-12-07
CHECKPOINT = os.path.join("variables", "variables")        # the SavedModel's variables
# savedmodels/pretrained/ beside this package, in the repository and in an installed copy.
SHIPPED_REGISTRY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                 "savedmodels", "pretrained")


class KerasConfigError(UserError, ValueError):
    """An export's `keras_model.json` that does not describe the model its config builds
    (another format, other weights, a missing checkpoint tensor); the message says which."""


class NoKerasModelError(UserError, FileNotFoundError):
    """An export that ships no Keras model (made before exports shipped one)."""


def registry_dir():
    """The pretrained registry folder: `$ZOO_PRETRAINED_DIR`, else the installed one."""
    return os.environ.get(REGISTRY_ENV) or SHIPPED_REGISTRY


def model_versions(model_dir):
    """The integer versions exported in `model_dir` (`<registry>/<name>`), ascending."""
    if not os.path.isdir(model_dir):
        return []
    return sorted(int(v) for v in os.listdir(model_dir)
                  if v.isdigit() and os.path.isdir(os.path.join(model_dir, v)))


def _versions(directory, name):
    return model_versions(os.path.join(directory, name))


def keras_model_file(export_dir):
    """The file an export ships its Keras model in (`KERAS_CONFIG`, or an older export's
    `KERAS_MODEL`), or None when it ships none."""
    for relative in (KERAS_CONFIG, KERAS_MODEL):
        if os.path.isfile(os.path.join(export_dir, relative)):
            return os.path.join(export_dir, relative)
    return None


def preset_names(directory=None):
    """`{name: [versions that ship a Keras model]}` of the registry, names sorted."""
    directory = directory or registry_dir()
    names = sorted(n for n in (os.listdir(directory) if os.path.isdir(directory) else [])
                   if not n.startswith("."))
    found = {}
    for name in names:
        versions = [v for v in _versions(directory, name)
                    if keras_model_file(os.path.join(directory, name, str(v)))]
        if versions:
            found[name] = versions
    return found


def preset_dir(name, version=None, directory=None):
    """The export folder of preset `name` (its latest version with a Keras model, or `version`).

    Raises:
        KeyError: no such preset or version; the message lists what exists.
    """
    directory = directory or registry_dir()
    presets = preset_names(directory)
    if name not in presets:
        listing = ", ".join(f"{n} (versions {v})" for n, v in presets.items()) or "none"
        hint = ""
        if _versions(directory, name):
            hint = (f" {name!r} has SavedModel versions {_versions(directory, name)} but none "
                    f"ships its Keras model ({KERAS_CONFIG}); load them with savedmodels.load.")
        raise UnknownNameError(f"No preset {name!r} in {directory}.{hint} Presets: {listing}.")
    if version is None:
        version = presets[name][-1]
    elif int(version) not in presets[name]:
        raise UnknownNameError(f"Preset {name!r} has no version {version} with a Keras model; "
                       f"versions: {presets[name]}.")
    return os.path.join(directory, name, str(int(version)))


def _same_weight(built, listed):
    """Whether two paths name the same weight: a model's weights get the name scopes they
    were built under ("vae/posterior/iaf_0/made/output/kernel" when built by the model's
    first call, "iaf_0/made/output/kernel" from its config), so one ends with the other."""
    return built == listed or built.endswith("/" + listed) or listed.endswith("/" + built)


def model_from_keras_config(spec, checkpoint):
    """Builds the model a `keras_model.json` describes and sets its weights.

    Args:
        spec: the parsed file: {"format": 1, "model": the Keras config
            (`keras.saving.serialize_keras_object(model)`), "weights": one entry
            per `model.weights`, in order: {"path", "shape", "dtype"} and either
            "checkpoint_key" (a tensor of `checkpoint`) or "value" (nested lists)}.
        checkpoint: the checkpoint prefix the keys refer to (`<export>/variables/variables`).

    Raises:
        KerasConfigError: another format, or weights that do not match the built model's.
    """
    import keras
    import numpy as np
    import tensorflow as tf

    if spec.get("format") != KERAS_CONFIG_FORMAT:
        raise KerasConfigError(f"Keras model format {spec.get('format')!r}; this zoo reads "
                               f"format {KERAS_CONFIG_FORMAT}.")
    model = keras.saving.deserialize_keras_object(spec["model"])   # built from its build_config
    entries = spec["weights"]
    if len(entries) != len(model.weights):
        raise KerasConfigError(f"The config builds {len(model.weights)} weights and lists "
                               f"{len(entries)}.")
    for index, (weight, entry) in enumerate(zip(model.weights, entries)):
        if not _same_weight(weight.path, entry["path"]):
            raise KerasConfigError(f"Weight {index} of the model the config builds is "
                                   f"{weight.path}; the config lists {entry['path']}.")
    reader = tf.train.load_checkpoint(checkpoint) if any(
        "checkpoint_key" in entry for entry in entries) else None
    values = []
    for weight, entry in zip(model.weights, entries):
        if "checkpoint_key" in entry:
            if not reader.has_tensor(entry["checkpoint_key"]):
                raise KerasConfigError(f"{checkpoint} has no tensor {entry['checkpoint_key']!r} "
                                       f"(the weight {weight.path}).")
            value = reader.get_tensor(entry["checkpoint_key"])
        else:
            value = np.asarray(entry["value"], dtype=entry["dtype"])
        if tuple(value.shape) != tuple(weight.shape) or value.dtype != np.dtype(weight.dtype):
            raise KerasConfigError(f"{weight.path} is {tuple(weight.shape)} {weight.dtype}; its "
                                   f"stored value is {tuple(value.shape)} {value.dtype}.")
        values.append(value)
    model.set_weights(values)
    return model


def load_keras_model(export_dir):
    """The Keras model an export folder ships, without optimizer state.

    Raises:
        NoKerasModelError: the export ships no Keras model (exports made before
            the Keras model shipped: `python -m savedmodels.backfill_keras`).
        KerasConfigError: its `keras_model.json` does not match what it builds.
    """
    import keras

    path = keras_model_file(export_dir)
    if path is None:
        raise NoKerasModelError(f"{export_dir} ships no Keras model ({KERAS_CONFIG}); add one "
                                "with python -m savedmodels.backfill_keras.")
    if path.endswith(".keras"):
        return keras.models.load_model(path, compile=False)
    with open(path) as f:
        spec = json.load(f)
    return model_from_keras_config(spec, os.path.join(export_dir, CHECKPOINT))


def load_preset(name, version=None, directory=None, expected_class=None):
    """Loads preset `name` as a Keras model (no optimizer: `compile` it to fine-tune).

    Use it through `VAE.from_preset` (or import `zoo.models` first).

    Args:
        expected_class: refuse a model that is not an instance of this class
            (`VAE.from_preset` passes the class it is called on).
    """
    # The zoo's layer classes are registered for deserialization by importing
    # zoo.models, which every caller of `VAE.from_preset` has done (not imported
    # here: zoo.models imports this module).
    model = load_keras_model(preset_dir(name, version, directory))
    if expected_class is not None and not isinstance(model, expected_class):
        raise TypeError(f"Preset {name!r} is a {type(model).__name__}, not a "
                        f"{expected_class.__name__}; load it with "
                        f"{type(model).__name__}.from_preset.")
    return model

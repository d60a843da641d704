"""Presets: the trained Keras models of the shipped pretrained exports.

    from zoo.models import VAE
    vae = VAE.from_preset("vae_vamp_static_mnist")   # a trained zoo.models.VAE
    vae.log_likelihood(x, num_samples=1000)          # nats, [batch]
    vae.prior                                        # a Keras layer (here the VampPrior)

Each export of the registry (`savedmodels/pretrained/<name>/<version>/`, see
`savedmodels.export`) ships the Keras model it was exported from as
`assets.extra/model.keras`; a preset is that file loaded without optimizer
state. The registry folder is `$ZOO_PRETRAINED_DIR` when set, else the
`savedmodels/pretrained/` folder installed beside this package (the
repository's, or the one `pip install` copies).
"""

import os

from zoo.errors import UnknownNameError

__all__ = ["KERAS_MODEL", "REGISTRY_ENV", "SHIPPED_REGISTRY", "keras_model_path", "load_preset",
           "model_versions", "preset_names", "registry_dir"]

REGISTRY_ENV = "ZOO_PRETRAINED_DIR"
KERAS_MODEL = os.path.join("assets.extra", "model.keras")
# savedmodels/pretrained/ beside this package, in the repository and in an installed copy.
SHIPPED_REGISTRY = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                 "savedmodels", "pretrained")


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


def preset_names(directory=None):
    """`{name: [versions that ship a Keras model]}` of the registry, names sorted."""
    directory = directory or registry_dir()
    names = sorted(n for n in (os.listdir(directory) if os.path.isdir(directory) else [])
                   if not n.startswith("."))
    found = {}
    for name in names:
        versions = [v for v in _versions(directory, name)
                    if os.path.exists(os.path.join(directory, name, str(v), KERAS_MODEL))]
        if versions:
            found[name] = versions
    return found


def keras_model_path(name, version=None, directory=None):
    """The `.keras` file of preset `name` (its latest version with one, or `version`).

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
                    f"ships its Keras model ({KERAS_MODEL}); load them with savedmodels.load.")
        raise UnknownNameError(f"No preset {name!r} in {directory}.{hint} Presets: {listing}.")
    if version is None:
        version = presets[name][-1]
    elif int(version) not in presets[name]:
        raise UnknownNameError(f"Preset {name!r} has no version {version} with a Keras model; "
                       f"versions: {presets[name]}.")
    return os.path.join(directory, name, str(int(version)), KERAS_MODEL)


def load_preset(name, version=None, directory=None, expected_class=None):
    """Loads preset `name` as a Keras model (no optimizer: `compile` it to fine-tune).

    Use it through `VAE.from_preset` (or import `zoo.models` first).

    Args:
        expected_class: refuse a model that is not an instance of this class
            (`VAE.from_preset` passes the class it is called on).
    """
    import keras

    # The zoo's layer classes are registered for deserialization by importing
    # zoo.models, which every caller of `VAE.from_preset` has done (not imported
    # here: zoo.models imports this module).
    path = keras_model_path(name, version, directory)
    model = keras.models.load_model(path, compile=False)
    if expected_class is not None and not isinstance(model, expected_class):
        raise TypeError(f"Preset {name!r} is a {type(model).__name__}, not a "
                        f"{expected_class.__name__}; load it with "
                        f"{type(model).__name__}.from_preset.")
    return model

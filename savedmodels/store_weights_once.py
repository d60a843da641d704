"""Replaces an older export's `model.keras` by `keras_model.json`: its weights stored once.

    python -m savedmodels.store_weights_once --export_dir=savedmodels/pretrained/NAME/1
    python -m savedmodels.store_weights_once --registry=savedmodels/pretrained   # every export

Exports made before 2026-12-07 shipped their Keras model as a whole `.keras`
file, whose weights are the SavedModel's variables a second time (half of an
export's size). This writes the model's `assets.extra/keras_model.json` (its
config, and where in `variables/` each weight's value is; see
`zoo.presets.model_from_keras_config`), checks that it rebuilds the `.keras`
model exactly (the same class and every weight equal, bit for bit), records the
change in `zoo_export.json`, and only then removes `model.keras`. The SavedModel
itself is not touched, so TF Serving sees no change. An export that ships
`keras_model.json` already is left as it is.
"""

import datetime
import os
import sys

from savedmodels.export import (
    KERAS_CONFIG,
    KERAS_MODEL,
    METADATA,
    ExportError,
    read_metadata,
    write_keras_config,
)
from zoo import files
from zoo.errors import exits_on_user_error

__all__ = ["store_weights_once"]


def store_weights_once(export_dir):
    """Rewrites one export's Keras model as `keras_model.json`; returns the bytes saved
    (0 when the export ships `keras_model.json` already).

    Raises:
        ExportError: the export ships no Keras model, or the config does not rebuild it.
    """
    import keras

    import zoo.models  # noqa: F401  (registers the zoo's Keras classes for load_model)

    keras_path = os.path.join(export_dir, KERAS_MODEL)
    config_path = os.path.join(export_dir, KERAS_CONFIG)
    if os.path.exists(config_path) and not os.path.exists(keras_path):
        return 0
    if not os.path.exists(keras_path):
        raise ExportError(f"{export_dir} ships no {KERAS_MODEL} (exports made before the Keras "
                          "model shipped: savedmodels.backfill_keras).")
    model = keras.models.load_model(keras_path, compile=False)
    write_keras_config(model, export_dir)   # checks that it rebuilds `model` exactly
    saved = os.path.getsize(keras_path) - os.path.getsize(config_path)
    metadata = read_metadata(export_dir)
    metadata["keras_model"] = KERAS_CONFIG
    metadata["keras_model_stored_once"] = {
        "at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "keras_version": keras.__version__,
        "note": f"{KERAS_MODEL} replaced by {KERAS_CONFIG} by savedmodels.store_weights_once: "
                "the same config and weights, which are the SavedModel's variables"}
    files.write_json_atomically(os.path.join(export_dir, METADATA), metadata)
    os.remove(keras_path)
    files.fsync(os.path.dirname(keras_path))
    return saved


def _export_dirs(registry):
    from savedmodels.pretrained import model_names, model_versions

    return [os.path.join(registry, name, str(version)) for name in model_names(registry)
            for version in model_versions(os.path.join(registry, name))]


@exits_on_user_error("savedmodels.store_weights_once")
def main(argv):
    del argv
    from absl import flags

    if bool(flags.FLAGS.export_dir) == bool(flags.FLAGS.registry):
        raise ExportError("Pass one of --export_dir and --registry.")
    export_dirs = ([flags.FLAGS.export_dir] if flags.FLAGS.export_dir
                   else _export_dirs(flags.FLAGS.registry))
    for export_dir in export_dirs:
        saved = store_weights_once(export_dir)
        print(f"{export_dir}: " + (f"{saved / 2**20:.1f} MB smaller" if saved
                                   else f"ships {KERAS_CONFIG} already"))


if __name__ == "__main__":
    from absl import app, flags

    flags.DEFINE_string("export_dir", None, "An export's version folder.")
    flags.DEFINE_string("registry", None, "A registry folder: every <name>/<version> in it.")
    app.run(lambda argv: sys.exit(main(argv)))

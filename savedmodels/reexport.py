"""Writes an export's next version from its own Keras model, answering exactly as before.

    python -m savedmodels.reexport --export_dir=savedmodels/pretrained/NAME/1

For an export that an older zoo traced less compactly (before MADE layers kept
their masks as degree vectors, every endpoint of an IAF export held each
`[in, units]` mask as a float constant: 22 MB of graph for 8 steps). The
export's Keras model is loaded (`zoo.presets.load_keras_model`) with today's
code, its serving functions are run beside the export's signatures on the same
requests (every signature, the export's seeds and limits), and only when every output
agrees is version N+1 written, with the export's own metadata (experiment,
metrics, training) and a `reexported_from` record. The old version stays where
it is (an export never replaces a version); remove it once the new one serves.
"""

import os
import sys

import numpy as np

from savedmodels.export import KERAS_CONFIG, ExportError, export_model, read_metadata
from zoo.errors import exits_on_user_error

__all__ = ["reexport"]

# The keys `export_model` writes itself; the rest of zoo_export.json is the caller's.
_EXPORT_RECORD = {"format_version", "name", "version", "exported_at", "tensorflow_version",
                  "keras_version", "serving_default", "signatures", "limits", "model",
                  "keras_model"}


def _requests(served):
    """One request per signature, with inputs the model itself produced (on its support)."""
    import tensorflow as tf

    sample = served.signatures["sample"](num_samples=tf.constant(5),
                                         seed=tf.constant(3, tf.int64))
    x, z = sample["x"], sample["z"]
    return {"encode": {"x": x}, "decode": {"z": z},
            "log_likelihood": {"x": x, "num_samples": tf.constant(20)},
            "sample": {"num_samples": tf.constant(5), "seed": tf.constant(3, tf.int64)}}


def check_same_answers(model, served, limits, rtol=1e-5, atol=1e-4):
    """Raises ExportError unless `model`'s serving functions answer as `served`'s signatures.

    Args:
        model: a zoo model.
        served: the loaded SavedModel (`tf.saved_model.load`).
        limits: the `ServingLimits` the export was written with.
        rtol, atol: per output, as in `np.testing.assert_allclose` (float32
            round-off of a re-traced graph is ~1e-6 relative).
    """
    import tensorflow as tf

    from savedmodels.signatures import serving_functions

    functions = serving_functions(model, limits)
    for name, request in _requests(served).items():
        fn, input_signature = functions[name]
        ours = tf.function(fn, input_signature=input_signature)(
            *[request[spec.name] for spec in input_signature])
        theirs = served.signatures[name](**request)
        if sorted(ours) != sorted(theirs):
            raise ExportError(f"{name} returns {sorted(ours)} here and {sorted(theirs)} in the "
                             "export.")
        for key in sorted(theirs):
            mine, exported = np.asarray(ours[key]), np.asarray(theirs[key])
            if mine.shape != exported.shape or not np.allclose(mine, exported, rtol, atol):
                gap = (float(np.max(np.abs(mine - exported))) if mine.shape == exported.shape
                       else f"shape {mine.shape} vs {exported.shape}")
                raise ExportError(f"The Keras model answers {name}/{key} differently from the "
                                 f"export (largest gap {gap}); nothing was written.")


def reexport(export_dir, version=None):
    """Writes `<export_dir>/../<N+1>` (or `version`) from `<export_dir>`'s Keras model.

    Returns:
        The new version's path.

    Raises:
        ExportError: the export ships no Keras model.
        ExportError: the Keras model does not answer as the export does.
        FileExistsError: `version` exists already.
    """
    import tensorflow as tf

    import zoo.models  # noqa: F401  (registers the zoo's Keras classes for loading)
    from savedmodels.signatures import ServingLimits
    from zoo import presets

    export_dir = os.path.normpath(export_dir)
    if not presets.keras_model_file(export_dir):
        raise ExportError(f"{export_dir} ships no {KERAS_CONFIG} to re-export from (exports "
                          "made before the Keras model shipped: savedmodels.backfill_keras).")
    metadata = read_metadata(export_dir)
    limits = ServingLimits(**metadata["limits"])
    model = presets.load_keras_model(export_dir)
    check_same_answers(model, tf.saved_model.load(export_dir), limits)
    caller = {key: value for key, value in metadata.items() if key not in _EXPORT_RECORD}
    caller["reexported_from"] = {
        "version": metadata["version"], "exported_at": metadata["exported_at"],
        "tensorflow_version": metadata["tensorflow_version"],
        "keras_version": metadata["keras_version"],
        "note": "re-traced from the same Keras model by savedmodels.reexport; every signature "
                "checked to answer as the old version"}
    model_dir = os.path.dirname(export_dir)
    return export_model(model, os.path.dirname(model_dir), os.path.basename(model_dir),
                        version=version, metadata=caller, limits=limits)


@exits_on_user_error("savedmodels.reexport")
def main(argv):
    del argv
    from absl import flags

    print(f"Wrote {reexport(flags.FLAGS.export_dir)}")


if __name__ == "__main__":
    from absl import app, flags

    flags.DEFINE_string("export_dir", None, "An export's version folder.", required=True)
    app.run(lambda argv: sys.exit(main(argv)))

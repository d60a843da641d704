"""Adds the Keras model to an export made before exports shipped one.

    python -m savedmodels.backfill_keras --export_dir=savedmodels/pretrained/vae_vamp_static_mnist/1

The model is rebuilt from the experiment recorded in the export's metadata, its
weights are set from the SavedModel's variables (matched by their paths, e.g.
`encoder/gated_dense_0/g/kernel`), and it is checked against the SavedModel's
`encode`, `decode` and `sample` signatures before anything is written. Its
`assets.extra/keras_model.json` (the config, and where each weight's value is
in the SavedModel's variables) and the updated metadata are written to
temporary files and renamed into place; the SavedModel itself is not touched,
so TF Serving sees no change.
"""

import os
import sys

import numpy as np

from savedmodels.export import (
    KERAS_CONFIG,
    METADATA,
    ExportError,
    read_metadata,
    write_keras_config,
)
from zoo import files, presets
from zoo.errors import exits_on_user_error

__all__ = ["backfill_keras_model"]


def backfill_keras_model(export_dir, atol=1e-5):
    """Writes `<export_dir>/assets.extra/keras_model.json`; returns its path.

    Raises:
        FileExistsError: the export ships a Keras model already.
        ValueError: the metadata records no experiment, the variables do not
            match the rebuilt model, or the rebuilt model answers differently.
    """
    import tensorflow as tf

    from zoo.models import ModelConfig, build_model
    from zoo.registry import dataclass_from_dict

    path = presets.keras_model_file(export_dir)
    if path:
        raise FileExistsError(f"{path} exists; the export ships its Keras model already.")
    metadata = read_metadata(export_dir)
    if not metadata.get("experiment"):
        raise ExportError(f"{export_dir} records no experiment to rebuild the model from.")
    experiment = metadata["experiment"]
    model_config = dataclass_from_dict(ModelConfig, experiment["model"], "the recorded model")
    served = tf.saved_model.load(export_dir)
    model = build_model(model_config, metadata["model"]["event_shape"],
                        seed=experiment["train"]["seed"])
    # Keras's ExportArchive keeps the variables its endpoints use in `_all_variables`
    # (its public `variables` lists are empty in the loaded object).
    # Weight paths start with the model's name ("vae/encoder/..."); the model's own
    # training state (beta, step counters) is not used by the signatures, so not saved.
    mine = {w.path.split("/", 1)[1]: w for w in model.weights if w.path.count("/") > 1}
    # A variable's saved name starts with the layer ("encoder/...") or, when the
    # model was built inside a name scope, with the model's name first.
    parts = {name.split("/", 1)[0] for name in mine}
    relative = lambda name: name if name.split("/", 1)[0] in parts else name.split("/", 1)[-1]
    saved = {relative(v.name.split(":")[0]): v for v in served._all_variables}
    if sorted(saved) != sorted(mine):
        raise ValueError(f"The rebuilt model's weights do not match {export_dir}'s variables: "
                         f"only saved {sorted(set(saved) - set(mine))}, "
                         f"only rebuilt {sorted(set(mine) - set(saved))}.")
    for name, weight in mine.items():
        weight.assign(saved[name].numpy())
    _check_against_signatures(model, served, atol)

    path = write_keras_config(model, export_dir)
    metadata["keras_model"] = KERAS_CONFIG
    metadata["keras_model_note"] = ("added after the export by savedmodels.backfill_keras: "
                                    "rebuilt from the experiment, weights from the SavedModel")
    metadata_path = os.path.join(export_dir, METADATA)
    files.write_json_atomically(metadata_path, metadata)
    return path


def _check_against_signatures(model, served, atol):
    import tensorflow as tf

    shape = tuple(model.event_shape)
    x = (np.random.RandomState(0).rand(4, *shape) > 0.7).astype(np.float32)
    encoded = served.signatures["encode"](x=x)
    mine = model.encode(x)
    pairs = [("encode loc", mine["loc"], encoded["loc"]),
             ("encode scale", mine["scale"], encoded["scale"])]
    z = encoded["z"]
    pairs.append(("decode mean", model.decode(z), served.signatures["decode"](z=z)["mean"]))
    sample = served.signatures["sample"](num_samples=tf.constant(3),
                                         seed=tf.constant(0, tf.int64))
    pairs.append(("sample mean", model.sample(3, seed=tf.constant([0, 0], tf.int64))["mean"],
                  sample["mean"]))
    for what, ours, theirs in pairs:
        gap = float(np.max(np.abs(np.asarray(ours) - np.asarray(theirs))))
        if gap > atol:
            raise ValueError(f"The rebuilt model differs from the SavedModel ({what}: {gap:.2e}).")


@exits_on_user_error("savedmodels.backfill_keras")
def main(argv):
    del argv
    from absl import flags

    print(f"Wrote {backfill_keras_model(flags.FLAGS.export_dir)}")


if __name__ == "__main__":
    from absl import app, flags

    flags.DEFINE_string("export_dir", None, "An export's version folder.", required=True)
    app.run(lambda argv: sys.exit(main(argv)))

"""Exports the best model of a training workdir (or an NCP folder) with its experiment and metrics.

    python -m trainers.export --workdir=DIR --export_base=DIR --name=NAME [--version=N]

writes `<export_base>/<name>/<version>/` through `savedmodels.export.export_model`
(TF Serving's layout, written atomically, never replacing a version; see there)
with this workdir's metadata in `assets.extra/zoo_export.json`: the experiment,
its test metrics, the training epochs and the command that trained it. A
`trainers.train_ncp` output folder exports its NCP-VAE (`model.keras`) with the
base run's experiment and the NCP's metrics. Without `--version` the next free
integer is taken; `--metadata_json=FILE` merges a JSON object into the metadata.
"""

import dataclasses
import json
import os

from savedmodels.export import export_model
from savedmodels.signatures import ServingLimits
from trainers import callbacks, ncp_training, training
from trainers.workdir_lock import workdir_lock
from zoo import datasets
from zoo.errors import exits_on_user_error

__all__ = ["export_workdir", "workdir_metadata"]

# evaluation.json keys that go into the export's "metrics" and "training" sections.
_METRIC_KEYS = ("test_log_likelihood", "test_log_likelihood_stderr", "log_likelihood_num_samples",
                "log_likelihood_num_examples", "log_likelihood_examples", "test_elbo",
                "elbo_num_examples", "test_nll_bits_per_dim", "data_source", "units")
_TRAINING_KEYS = ("epochs_trained", "best_epoch", "best_val_loss", "stopped_early",
                  "train_seconds_this_run", "resumed_from_epoch")


def _read_json(path):
    with open(path) as f:
        return json.load(f)


def workdir_metadata(workdir, training_command=None):
    """The export metadata of a training workdir or of a `train_ncp` folder.

    Args:
        workdir: a `trainers.train` workdir or a `trainers.train_ncp` output folder.
        training_command: recorded as the command that trained the model;
            by default the one the training program saved in the workdir.

    Returns:
        A JSON-serializable dict: "experiment", "dataset", "pixels" (what the inputs are:
        binary, dynamic or gray; see `zoo.datasets.PIXELS`), "paper_nll",
        "source", "metrics" (None before the test evaluation) and "training";
        an NCP folder adds "noise_contrastive_prior".
    """
    if ncp_training.is_ncp_workdir(workdir):
        return _ncp_metadata(workdir, training_command)
    config, data_dir = training.load_workdir_config(workdir)
    metadata = {
        "experiment": dataclasses.asdict(config),
        "dataset": config.data.name,
        "pixels": _pixels(config.data),
        "paper_nll": config.paper_nll,
        "source": {"workdir": os.path.abspath(workdir), "data_dir": data_dir,
                   "checkpoint": os.path.join(
                       "checkpoints", callbacks.CheckpointAndEarlyStopping.BEST)},
        "metrics": None,
        "training": {},
    }
    evaluation_path = os.path.join(workdir, "evaluation.json")
    if os.path.exists(evaluation_path):
        evaluation = _read_json(evaluation_path)
        metadata["metrics"] = {k: evaluation[k] for k in _METRIC_KEYS if k in evaluation}
        metadata["training"] = {k: evaluation[k] for k in _TRAINING_KEYS if k in evaluation}
        metadata["pixels"] = evaluation.get("pixels", metadata["pixels"])
    metadata["training"]["command"] = (training_command
                                       or training.load_workdir_command(workdir))
    return metadata


def _pixels(data_config):
    """What the exported model's inputs are: binary, dynamic (binarized) or gray (k / 255)."""
    if data_config.pixels:
        return data_config.pixels
    if datasets.is_dataset_file(data_config.name):   # Inferred from the file at training time.
        return None
    return datasets.DATASETS.get(data_config.name).pixels


def _ncp_metadata(workdir, training_command):
    """`workdir_metadata` of an NCP folder: the base run's experiment, the NCP's metrics."""
    saved = _read_json(os.path.join(workdir, "config.json"))
    base_config, _ = training.load_workdir_config(saved["base_workdir"])
    evaluation = _read_json(os.path.join(workdir, "evaluation.json"))
    return {
        "experiment": dataclasses.asdict(base_config),
        "dataset": base_config.data.name,
        "pixels": _pixels(base_config.data),
        "paper_nll": base_config.paper_nll_ncp,
        "noise_contrastive_prior": {"options": saved["ncp"],
                                    "log_normalizer": evaluation["log_normalizer"],
                                    "classifier": evaluation["classifier"]},
        "source": {"workdir": os.path.abspath(workdir), "data_dir": saved["data_dir"],
                   "checkpoint": ncp_training.MODEL, "base_workdir": saved["base_workdir"]},
        "metrics": {
            "test_log_likelihood": evaluation["test_log_likelihood_ncp"],
            "test_log_likelihood_stderr": evaluation["test_log_likelihood_ncp_stderr"],
            "base_test_log_likelihood": evaluation["test_log_likelihood_base"],
            "log_likelihood_num_samples": evaluation["log_likelihood_num_samples"],
            "log_likelihood_num_examples": evaluation["log_likelihood_num_examples"],
            "data_source": evaluation["data_source"], "units": evaluation["units"]},
        "training": {"command": training_command or saved["command"],
                     "epochs_trained": evaluation["epochs_trained"],
                     "best_epoch": evaluation["best_epoch"]},
    }


def export_workdir(workdir, export_base, name, version=None, training_command=None,
                   limits=ServingLimits(), extra_metadata=None):
    """Exports the best model of `workdir` (see the module docstring); returns the export's path.

    Args:
        workdir, training_command: see `workdir_metadata`.
        export_base, name, version, limits: see `savedmodels.export.export_model`.
        extra_metadata: a JSON-serializable dict merged into the metadata
            (e.g. `trainers.reproduce`'s commit, CPU and wall time).
    """
    with workdir_lock(workdir, "trainers.export", create=False):   # no training writes it meanwhile
        if ncp_training.is_ncp_workdir(workdir):
            model = ncp_training.load_ncp_model(workdir)
        else:
            model, _ = training.load_best_model(workdir)
        metadata = workdir_metadata(workdir, training_command)
    return export_model(model, export_base, name, version,
                        metadata={**metadata, **(extra_metadata or {})}, limits=limits)


@exits_on_user_error("trainers.export")
def main(argv):
    del argv
    from absl import flags

    values = flags.FLAGS
    extra = None
    if values.metadata_json:
        extra = _read_json(values.metadata_json)
        if not isinstance(extra, dict):
            raise ValueError(f"--metadata_json={values.metadata_json} must hold a JSON object.")
    path = export_workdir(values.workdir, values.export_base, values.name, values.version,
                          training_command=values.training_command, extra_metadata=extra)
    print(f"Exported {values.workdir} to {path}")


def _define_flags():
    # Defined only when run as a program, so that importing the library
    # defines no flags.
    from absl import flags

    flags.DEFINE_string("workdir", None, "Training workdir (trainers.train --workdir) "
                        "or an NCP folder (trainers.train_ncp --workdir).",
                        required=True)
    flags.DEFINE_string("export_base", None, "Base folder; the export goes to "
                        "<export_base>/<name>/<version>/.", required=True)
    flags.DEFINE_string("name", None, "Model name: TF Serving's model_name.", required=True)
    flags.DEFINE_integer("version", None, "Version (positive integer); default: the next free.")
    flags.DEFINE_string("training_command", None,
                        "Recorded as the command that trained the model (default: the one "
                        "saved in the workdir).")
    flags.DEFINE_string("metadata_json", None,
                        "A JSON file whose object is merged into zoo_export.json.")


if __name__ == "__main__":
    from absl import app

    _define_flags()
    app.run(main)

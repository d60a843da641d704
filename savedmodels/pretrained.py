"""The pretrained-model registry: exports shipped in `savedmodels/pretrained/`.

The registry folder is `$ZOO_PRETRAINED_DIR` when set, else the shipped one,
`PRETRAINED_DIR` (this package's `pretrained/`, also where `pip install` puts
it). The folder is a TF Serving base path: `pretrained/<name>/<version>/` is an
export of `python -m trainers.export`, whose `assets.extra/zoo_export.json`
records the dataset, the test metrics (log-likelihood, its standard error and the
importance samples used), the training budget and the command that trained
it. The registry is that folder: there is no second index to fall out of date.

    savedmodels.list()                       # [{"name": ..., "test_log_likelihood": ...}]
    model = savedmodels.load("vae_standard_static_mnist")
    model.signatures["encode"](x=images)     # loaded with tf.saved_model.load
    model.metrics["test_log_likelihood"]     # nats
"""

import dataclasses
import os
from typing import Any, Dict

import tensorflow as tf

from savedmodels.export import read_metadata
from zoo import presets
from zoo.errors import UnknownNameError

__all__ = ["PRETRAINED_DIR", "Pretrained", "list_pretrained", "load", "model_names",
           "model_versions"]

PRETRAINED_DIR = presets.SHIPPED_REGISTRY   # this package's pretrained/


@dataclasses.dataclass(frozen=True)
class Pretrained:
    """A loaded pretrained export.

    Attributes:
        name, version: its registry name and export version.
        path: the export's folder.
        model: the object `tf.saved_model.load` returns (`.signatures[...]`).
        metadata: its `zoo_export.json`.
    """

    name: str
    version: int
    path: str
    model: Any
    metadata: Dict[str, Any]

    @property
    def signatures(self):
        return self.model.signatures

    @property
    def metrics(self):
        """Test metrics: test_log_likelihood (nats), its stderr, the samples and examples used."""
        return self.metadata.get("metrics") or {}


model_versions = presets.model_versions   # the one listing of a name's versions


def model_names(directory):
    """The names in a registry folder that have at least one version, sorted."""
    if not os.path.isdir(directory):
        return []
    return sorted(n for n in os.listdir(directory)
                  if not n.startswith(".") and model_versions(os.path.join(directory, n)))


def list_pretrained(directory=None):
    """One summary dict per pretrained model (its latest version), sorted by name."""
    directory = directory or presets.registry_dir()
    summaries = []
    for name in model_names(directory):
        versions = model_versions(os.path.join(directory, name))
        metadata = read_metadata(os.path.join(directory, name, str(versions[-1])))
        metrics = metadata.get("metrics") or {}
        training = metadata.get("training") or {}
        summaries.append({
            "name": name, "version": versions[-1], "versions": versions,
            "dataset": metadata.get("dataset"),
            "test_log_likelihood": metrics.get("test_log_likelihood"),
            "test_log_likelihood_stderr": metrics.get("test_log_likelihood_stderr"),
            "log_likelihood_num_samples": metrics.get("log_likelihood_num_samples"),
            "log_likelihood_num_examples": metrics.get("log_likelihood_num_examples"),
            "epochs_trained": training.get("epochs_trained"),
            "paper_nll": metadata.get("paper_nll"),
        })
    return summaries


def load(name, version=None, directory=None):
    """Loads a pretrained export (the latest version unless `version` is given).

    Raises:
        KeyError: no model or version of that name; the message lists what exists.
    """
    directory = directory or presets.registry_dir()
    names = model_names(directory)
    if name not in names:
        raise UnknownNameError(f"No pretrained model {name!r} in {directory}; available: "
                       f"{', '.join(names) or 'none'}.")
    versions = model_versions(os.path.join(directory, name))
    version = versions[-1] if version is None else int(version)
    if version not in versions:
        raise UnknownNameError(f"{name!r} has no version {version}; available: {versions}.")
    path = os.path.join(directory, name, str(version))
    return Pretrained(name=name, version=version, path=path,
                      model=tf.saved_model.load(path), metadata=read_metadata(path))

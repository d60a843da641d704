"""The pretrained registry: savedmodels.list() and savedmodels.load(), on a temporary
registry and on the exports shipped in savedmodels/pretrained/."""

import os

import numpy as np
import pytest
import tensorflow as tf

import savedmodels
from savedmodels import export
from zoo import presets
from zoo.models import build_gated_mlp_vae


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("pretrained"))
    model = build_gated_mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,), seed=0)
    metadata = lambda ll: {"dataset": "static_mnist", "paper_nll": 88.56,
                           "metrics": {"test_log_likelihood": ll,
                                       "log_likelihood_num_samples": 1000},
                           "training": {"epochs_trained": 3, "command": "python -m ..."}}
    export.export_model(model, directory, "b_model", metadata=metadata(-90.0))
    export.export_model(model, directory, "b_model", metadata=metadata(-89.0))
    export.export_model(model, directory, "a_model", metadata=metadata(-95.5))
    os.makedirs(os.path.join(directory, "a_model", ".2.partial-abc"))   # a killed export
    os.makedirs(os.path.join(directory, "empty_model"))                 # no version yet
    return directory


def test_list_summarizes_the_latest_version_of_each_model(registry):
    listing = savedmodels.list(registry)
    assert [entry["name"] for entry in listing] == ["a_model", "b_model"]
    a, b = listing
    assert (a["version"], a["versions"], a["test_log_likelihood"]) == (1, [1], -95.5)
    assert (b["version"], b["versions"], b["test_log_likelihood"]) == (2, [1, 2], -89.0)
    assert b["log_likelihood_num_samples"] == 1000 and b["epochs_trained"] == 3
    assert b["dataset"] == "static_mnist" and b["paper_nll"] == 88.56


def test_load_returns_the_export_and_its_metrics(registry):
    latest = savedmodels.load("b_model", directory=registry)
    assert latest.version == 2 and latest.metrics["test_log_likelihood"] == -89.0
    assert latest.metadata["training"]["command"] == "python -m ..."
    first = savedmodels.load("b_model", version=1, directory=registry)
    assert first.metrics["test_log_likelihood"] == -90.0
    z = first.signatures["encode"](x=tf.zeros((2, 4, 4, 1)))["z"]
    assert z.shape == (2, 2)
    with pytest.raises(KeyError, match=r"No pretrained model 'c_model'.*a_model, b_model"):
        savedmodels.load("c_model", directory=registry)
    with pytest.raises(KeyError, match=r"'b_model' has no version 3; available: \[1, 2\]"):
        savedmodels.load("b_model", version=3, directory=registry)


# The 50-epoch exports (benchmarks/compare_priors.sh); later versions come from trainers.reproduce
# and are checked, like every version, by the test below this one.
SHIPPED = {"vae_standard_static_mnist": (-91.39, 88.56), "vae_vamp_static_mnist": (-87.49, 85.57)}


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_shipped_first_versions_load_with_their_recorded_metrics(name):
    recorded_ll, paper_nll = SHIPPED[name]
    pretrained = savedmodels.load(name, version=1)
    metrics, training = pretrained.metrics, pretrained.metadata["training"]
    assert metrics["test_log_likelihood"] == pytest.approx(recorded_ll, abs=0.005)
    assert pretrained.metadata["paper_nll"] == paper_nll
    assert metrics["log_likelihood_num_samples"] == 1000
    assert metrics["log_likelihood_num_examples"] == 10_000
    assert training["epochs_trained"] == 50
    assert f"--experiment={name}" in training["command"]
    assert pretrained.metadata["experiment"]["name"] == name


def _shipped_versions():
    from savedmodels import pretrained
    directory = pretrained.PRETRAINED_DIR
    return [(name, version) for name in pretrained.model_names(directory)
            for version in pretrained.model_versions(os.path.join(directory, name))]


@pytest.mark.parametrize("name, version", _shipped_versions())
def test_every_shipped_export_loads_and_answers(name, version):
    pretrained = savedmodels.load(name, version=version)
    metadata = pretrained.metadata
    assert metadata["name"] == name and metadata["version"] == version
    assert metadata["metrics"]["test_log_likelihood"] < 0
    shape = tuple(metadata["model"]["event_shape"])
    x = (np.random.RandomState(0).rand(3, *shape) > 0.8).astype(np.float32)
    encoded = pretrained.signatures["encode"](x=x)
    assert encoded["z"].shape == (3, *metadata["model"]["latent_shape"])
    estimates = pretrained.signatures["log_likelihood"](x=x, num_samples=tf.constant(50))
    ll, elbo = estimates["log_likelihood"].numpy(), estimates["elbo"].numpy()
    assert np.all(np.isfinite(ll)) and np.all(ll >= elbo) and np.all(ll < 0)
    sample = pretrained.signatures["sample"](num_samples=tf.constant(2),
                                             seed=tf.constant(0, tf.int64))
    assert set(np.unique(sample["x"])) <= {0.0, 1.0}
    # Every shipped export ships its Keras model, with its weights stored once: the
    # SavedModel's variables (python -m savedmodels.store_weights_once rewrites an older one).
    assert metadata["keras_model"] == export.KERAS_CONFIG
    assert not os.path.exists(os.path.join(pretrained.path, export.KERAS_MODEL))
    model = presets.load_keras_model(pretrained.path)
    mine = model.encode(x)
    for key in ("loc", "scale"):   # the same trained model as the SavedModel
        np.testing.assert_allclose(mine[key], encoded[key], rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(model.sample(2, seed=tf.constant([0, 0], tf.int64))["x"],
                                  sample["x"])
    # A config and where each weight is, nothing else: the weights, an optimizer's state
    # (2x the weights with Adam) or baked-in constants (the MADE masks once were) would
    # take megabytes.
    config_kb = os.path.getsize(os.path.join(pretrained.path, export.KERAS_CONFIG)) / 2**10
    assert config_kb < 256, f"{pretrained.path}'s Keras config is {config_kb:.0f} KB"


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

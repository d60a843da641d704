"""Presets: the Keras model shipped beside each export, loaded by VAE.from_preset, equals its
SavedModel (encodings, samples), fine-tunes with fit, and its prior is a reusable layer."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from savedmodels import export
from tests.tiny_models import IMAGE_SHAPE, LATENT_DIM, TINY_PRIORS, tiny_vae
from zoo import presets
from zoo.models import VAE, HierarchicalVAE, build_gated_mlp_hvae


def _images(n, seed=0):
    return (np.random.RandomState(seed).rand(n, *IMAGE_SHAPE) > 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def registry(tmp_path_factory):
    directory = str(tmp_path_factory.mktemp("registry"))
    export.export_model(tiny_vae("vamp"), directory, "tiny_vamp")
    hvae = build_gated_mlp_hvae(IMAGE_SHAPE, latent_dim=LATENT_DIM, hidden_units=(8,),
                                prior="vamp", prior_config=TINY_PRIORS["vamp"], seed=1)
    export.export_model(hvae, directory, "tiny_hvae")
    # An export made before exports shipped their Keras model.
    os.remove(os.path.join(export.export_model(tiny_vae("standard"), directory, "savedmodel_only"),
                           export.KERAS_CONFIG))
    return directory


def test_a_preset_is_its_savedmodel_as_a_keras_model(registry):
    model = VAE.from_preset("tiny_vamp", directory=registry)
    served = tf.saved_model.load(os.path.join(registry, "tiny_vamp", "1"))
    x = _images(5)
    encoded = served.signatures["encode"](x=x)
    mine = model.encode(x)
    np.testing.assert_allclose(mine["loc"], encoded["loc"], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mine["scale"], encoded["scale"], rtol=1e-5, atol=1e-6)
    sample = served.signatures["sample"](num_samples=tf.constant(3),
                                         seed=tf.constant(7, tf.int64))
    np.testing.assert_array_equal(model.sample(3, seed=tf.constant([7, 0], tf.int64))["x"],
                                  sample["x"])
    estimates = served.signatures["log_likelihood"](x=x, num_samples=tf.constant(20))
    ll = model.log_likelihood(x, num_samples=20, seed=tf.constant([0, 0], tf.int64))
    assert ll.shape == (5,) and np.all(np.asarray(ll) < 0)
    np.testing.assert_allclose(np.mean(ll), np.mean(estimates["log_likelihood"]), atol=2.0)


def test_a_preset_fine_tunes_and_its_prior_is_a_layer(registry):
    model = VAE.from_preset("tiny_vamp", directory=registry)
    assert not hasattr(model, "optimizer") or model.optimizer is None
    before = [w.numpy().copy() for w in model.prior.trainable_weights]
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    model.fit(_images(32, seed=1), epochs=1, batch_size=8, verbose=0)
    after = [w.numpy() for w in model.prior.trainable_weights]
    assert any(np.max(np.abs(a - b)) > 0 for a, b in zip(after, before))   # pseudo-inputs moved

    # The trained VampPrior, with the model's encoder still attached, in a user's own model.
    z = keras.Input((LATENT_DIM,))
    density = keras.Model(z, model.prior(z))
    points = np.random.RandomState(2).randn(6, LATENT_DIM).astype(np.float32)
    np.testing.assert_allclose(density(points), model.prior.log_prob(points), rtol=1e-5)


def test_subclasses_load_their_own_kind_and_unknown_names_list_the_presets(registry):
    assert isinstance(HierarchicalVAE.from_preset("tiny_hvae", directory=registry),
                      HierarchicalVAE)
    assert isinstance(VAE.from_preset("tiny_hvae", directory=registry), HierarchicalVAE)
    with pytest.raises(TypeError, match="'tiny_vamp' is a VAE, not a HierarchicalVAE"):
        HierarchicalVAE.from_preset("tiny_vamp", directory=registry)
    with pytest.raises(KeyError, match=r"No preset 'nope'.*tiny_hvae \(versions \[1\]\), "
                                       r"tiny_vamp \(versions \[1\]\)"):
        VAE.from_preset("nope", directory=registry)
    with pytest.raises(KeyError, match="has SavedModel versions \\[1\\] but none ships"):
        VAE.from_preset("savedmodel_only", directory=registry)
    with pytest.raises(KeyError, match=r"no version 4 with a Keras model; versions: \[1\]"):
        VAE.from_preset("tiny_vamp", version=4, directory=registry)


def test_the_registry_folder_is_the_environment_variables(registry, monkeypatch):
    assert presets.registry_dir() == presets.SHIPPED_REGISTRY
    monkeypatch.setenv(presets.REGISTRY_ENV, registry)
    assert presets.registry_dir() == registry
    assert list(presets.preset_names()) == ["tiny_hvae", "tiny_vamp"]
    import savedmodels
    assert [m["name"] for m in savedmodels.list()] == ["savedmodel_only", "tiny_hvae",
                                                        "tiny_vamp"]
    assert isinstance(VAE.from_preset("tiny_vamp"), VAE)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

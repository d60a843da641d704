"""Every registered prior inside the VAE: training, saving, and the VampPrior's wiring.

Every prior training on two replicas: tests/trainers/test_distributed.py.
"""

import sys

import keras
import numpy as np
import pytest

from tests.tiny_models import IMAGE_SHAPE, TINY_PRIORS, tiny_vae


@pytest.fixture(scope="module")
def images():
    return (np.random.RandomState(0).rand(64, *IMAGE_SHAPE) > 0.5).astype(np.float32)


@pytest.mark.parametrize("name", sorted(TINY_PRIORS))
def test_fit_with_xla_then_keras_round_trip(name, images, tmp_path):
    model = tiny_vae(name)
    if model.initialization_examples:
        model.initialize_from_data(images[:model.initialization_examples], seed=0)
    before = [w.numpy().copy() for w in model.prior.trainable_weights]
    elbo_before = float(np.mean(model.elbo_terms(images, num_samples=20, seed=0).elbo))
    model.compile(keras.optimizers.Adam(1e-2), jit_compile=True)
    model.fit(images, batch_size=16, epochs=15, verbose=0)
    elbo_after = float(np.mean(model.elbo_terms(images, num_samples=20, seed=0).elbo))
    assert elbo_after > elbo_before + 1.0, (elbo_before, elbo_after)
    # The prior's own weights were trained (not silently left behind).
    assert all(not np.allclose(b, w.numpy())
               for b, w in zip(before, model.prior.trainable_weights))

    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.prior) is type(model.prior)
    assert loaded.prior.get_config() == model.prior.get_config()
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    z = model.sample(7, seed=3)["z"].numpy()
    np.testing.assert_array_equal(loaded.sample(7, seed=3)["z"].numpy(), z)
    np.testing.assert_allclose(loaded.prior.log_prob(z).numpy(),
                               model.prior.log_prob(z).numpy(), rtol=1e-6)
    np.testing.assert_allclose(
        loaded.log_likelihood(images[:5], num_samples=30, chunk_size=7, seed=4).numpy(),
        model.log_likelihood(images[:5], num_samples=30, chunk_size=7, seed=4).numpy(),
        rtol=1e-6)


def test_vamp_prior_uses_the_model_encoder_once_per_step_and_per_log_likelihood(images):
    model = tiny_vae("vamp")
    prior = model.prior
    # Through the model's own encoder: loc, scale of q(z | u_k).
    loc, scale = prior.components()
    expected_loc, expected_scale = model.posterior.params(
        model.encoder(np.clip(prior.pseudo_inputs.numpy(), 0, 1)))
    np.testing.assert_allclose(loc.numpy(), expected_loc.numpy(), rtol=1e-6)
    np.testing.assert_allclose(scale.numpy(), expected_scale.numpy(), rtol=1e-6)

    calls = []
    original = prior.components
    prior.components = lambda: calls.append(1) or original()
    model.log_likelihood(images[:4], num_samples=40, chunk_size=5, seed=0)  # 8 chunks
    assert len(calls) == 1
    calls.clear()
    model.compile(keras.optimizers.Adam(1e-3), run_eagerly=True)
    model.fit(images, batch_size=16, epochs=1, verbose=0)  # 4 steps
    assert len(calls) == 4


def test_pseudo_inputs_stay_in_the_unit_interval_in_use(images):
    model = tiny_vae("vamp")
    model.prior.pseudo_inputs.assign(np.full(model.prior.pseudo_inputs.shape, 3.0))
    loc, _ = model.prior.components()
    ones_loc, _ = model.posterior.params(model.encoder(np.ones((6, *IMAGE_SHAPE), np.float32)))
    np.testing.assert_allclose(loc.numpy(), ones_loc.numpy(), rtol=1e-6)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

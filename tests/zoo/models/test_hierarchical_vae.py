"""The two-level HierarchicalVAE: its ELBO terms against a hand computation, IS against
the ELBO, training, saving, and its place in the builders."""

import os
import sys

import keras
import numpy as np
import pytest
import scipy.special
import scipy.stats
import tensorflow as tf

from zoo import priors
from zoo import random as zoo_random
from zoo.models import HierarchicalVAE, ModelConfig, build_gated_mlp_hvae, build_model

IMAGE_SHAPE = (4, 4, 1)


def _tiny(prior="standard", prior_config=None, seed=0):
    keras.utils.set_random_seed(seed)
    return build_gated_mlp_hvae(IMAGE_SHAPE, latent_dim=2, hidden_units=(6, 6), prior=prior,
                                prior_config=prior_config, seed=seed)


@pytest.fixture(scope="module")
def images():
    return (np.random.RandomState(0).rand(5, *IMAGE_SHAPE) > 0.5).astype(np.float32)


def test_log_weight_terms_match_a_hand_computation(images):
    model = _tiny()
    seed = tf.constant([4, 2], tf.int64)
    log_px_z, log_pz, log_qz = model._log_weights(
        images, model.encoder(images), 3, seed, model.prior.distribution())
    assert sorted(log_pz) == sorted(log_qz) == ["z1", "z2"]

    # The same draws, then every density by scipy from the networks' outputs.
    z2, _ = model.posterior.sample_and_log_prob(model.encoder(images), 3,
                                                zoo_random.fold_in(seed, 0))
    z2 = z2.numpy()                                                     # [3, 5, 2]
    loc2, scale2 = (t.numpy() for t in model.posterior.params(model.encoder(images)))
    per_sample = [model.bottom_encoder([images, z2[s]]).numpy() for s in range(3)]
    joint = model.bottom_encoder([images, z2]).numpy()                  # broadcasts x over S
    np.testing.assert_allclose(joint, np.stack(per_sample), rtol=1e-5, atol=1e-6)
    z1, _ = model.bottom_posterior.sample_and_log_prob(joint, 1, zoo_random.fold_in(seed, 1))
    z1 = z1.numpy()[0]
    loc1, scale1 = (t.numpy() for t in model.bottom_posterior.params(joint))
    ploc1, pscale1 = (t.numpy() for t in model.conditional_prior.params(
        model.conditional_prior_encoder(z2)))
    logits = model.likelihood.logits(model.decoder([z1, z2])).numpy()   # [3, 5, 4, 4, 1]

    normal = lambda z, loc, scale: scipy.stats.norm.logpdf(z, loc, scale).sum(-1)
    expected = {
        "q z2": normal(z2, loc2, scale2), "q z1": normal(z1, loc1, scale1),
        "p z1": normal(z1, ploc1, pscale1), "p z2": normal(z2, 0.0, 1.0),
        "p x": scipy.stats.bernoulli.logpmf(np.broadcast_to(images, logits.shape),
                                            scipy.special.expit(logits)).sum((2, 3, 4)),
    }
    got = {"q z2": log_qz["z2"], "q z1": log_qz["z1"], "p z1": log_pz["z1"],
           "p z2": log_pz["z2"], "p x": log_px_z}
    for name, value in got.items():
        np.testing.assert_allclose(value.numpy(), expected[name], rtol=1e-4, atol=1e-4,
                                   err_msg=name)


def test_elbo_terms_and_importance_sampling_over_both_groups(images):
    model = _tiny()
    terms = model.elbo_terms(images, num_samples=4, seed=1)
    np.testing.assert_allclose(
        terms.kl.numpy(), sum(terms.log_qz_x[g] - terms.log_pz[g] for g in ("z1", "z2")),
        rtol=1e-6)
    estimates = model.importance_estimates(images, num_samples=300, chunk_size=64, seed=2)
    # From the same samples, log-mean-exp >= mean; and the 300-sample IS
    # estimate lies above an independent 300-sample ELBO.
    assert np.all(estimates["log_likelihood"].numpy() >= estimates["elbo"].numpy())
    elbo = model.elbo_terms(images, num_samples=300, seed=3).elbo.numpy()
    assert np.all(estimates["log_likelihood"].numpy() > elbo)


def test_vamp_prior_on_z2_evaluates_the_top_posterior_at_its_pseudo_inputs():
    model = _tiny("vamp", priors.VampPriorConfig(num_components=3))
    z2 = np.random.RandomState(1).randn(4, 2).astype(np.float32)
    u = np.clip(model.prior.pseudo_inputs.numpy(), 0.0, 1.0)
    loc, scale = (t.numpy() for t in model.posterior.params(model.encoder(u)))
    components = scipy.stats.norm.logpdf(z2[:, None, :], loc[None], scale[None]).sum(-1)
    np.testing.assert_allclose(model.prior.log_prob(z2).numpy(),
                               scipy.special.logsumexp(components, axis=1) - np.log(3),
                               rtol=1e-4)


@pytest.mark.parametrize("prior", ["standard", "vamp", "realnvp"])
def test_fit_with_xla_then_keras_round_trip(prior, images, tmp_path):
    configs = {"vamp": priors.VampPriorConfig(num_components=3),
               "realnvp": priors.RealNVPPriorConfig(num_blocks=1, hidden_units=(4,))}
    model = _tiny(prior, configs.get(prior))
    if model.initialization_examples:
        model.initialize_from_data(images, seed=0)
    data = np.repeat(images, 8, axis=0)
    before = model.elbo_terms(data, num_samples=20, seed=5).elbo.numpy().mean()
    model.compile(keras.optimizers.Adam(1e-2), jit_compile=True)
    model.fit(data, batch_size=8, epochs=8, verbose=0)
    after = model.elbo_terms(data, num_samples=20, seed=5).elbo.numpy().mean()
    assert after > before + 1.0, (before, after)

    path = os.path.join(str(tmp_path), "hvae.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, HierarchicalVAE)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    np.testing.assert_array_equal(loaded.log_likelihood(images, 30, seed=6).numpy(),
                                  model.log_likelihood(images, 30, seed=6).numpy())
    sample = loaded.sample(4, seed=1)
    assert sample["x"].shape == (4,) + IMAGE_SHAPE and sample["z1"].shape == (4, 2)
    np.testing.assert_allclose(loaded.decode(sample["z"]), model.decode(sample["z"]), atol=1e-6)


def test_built_from_its_model_config():
    config = ModelConfig(architecture="gated_mlp_hvae", latent_dim=3, hidden_units=(5, 5))
    model = build_model(config, IMAGE_SHAPE, seed=0)
    assert isinstance(model, HierarchicalVAE)
    assert model.latent_shape == (3,) and model.bottom_latent_shape == (3,)
    assert model.encode(np.zeros((2,) + IMAGE_SHAPE, np.float32))["z"].shape == (2, 3)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

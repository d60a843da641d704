"""Rate and distortion: the closed-form KL where it exists, Monte Carlo within its error."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tests.tiny_models import IMAGE_SHAPE, tiny_vae
from zoo import evaluation
from zoo.models import build_gated_mlp_hvae


def _data(n=60):
    x = (np.random.RandomState(0).rand(n, *IMAGE_SHAPE) > 0.5).astype(np.float32)
    return x, tf.data.Dataset.from_tensor_slices(x).batch(20)


def test_the_standard_prior_rate_is_the_closed_form_kl():
    model = tiny_vae("standard")
    x, dataset = _data()
    result = evaluation.rate_and_distortion(model, dataset, num_samples=200)
    loc, scale = (np.asarray(t, np.float64) for t in model.posterior.params(model.encoder(x)))
    kl = 0.5 * np.sum(loc ** 2 + scale ** 2 - 1.0 - np.log(scale ** 2), axis=1)
    assert result["rate_closed_form"] and evaluation.closed_form_rate_applies(model)
    np.testing.assert_allclose(result["rate"], kl.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["rate_per_group"]["z"], kl.mean(), rtol=1e-5)
    np.testing.assert_allclose(result["rate_bits_per_dim"],
                               kl.mean() / (np.prod(IMAGE_SHAPE) * math.log(2)), rtol=1e-5)
    # Distortion + rate is the -ELBO (Monte Carlo, within its error).
    elbo = evaluation.elbo_over_dataset(model, dataset, num_samples=200)["elbo"]
    gap = result["distortion"] + result["rate"] + elbo.mean()
    assert abs(gap) < 4 * result["distortion_stderr"] + 1e-3


def test_a_learned_prior_rate_is_the_monte_carlo_kl_within_its_error():
    model = tiny_vae("mog")
    x, dataset = _data()
    result = evaluation.rate_and_distortion(model, dataset, num_samples=100, seed=1)
    assert not result["rate_closed_form"]
    # Reference: numpy draws from q, log q in numpy, log p from the prior.
    loc, scale = (np.asarray(t, np.float64) for t in model.posterior.params(model.encoder(x)))
    z = loc + scale * np.random.RandomState(5).randn(2000, *loc.shape)
    log_q = np.sum(-0.5 * ((z - loc) / scale) ** 2 - np.log(scale) - 0.5 * np.log(2 * np.pi), -1)
    log_p = model.prior.distribution().log_prob(z.astype(np.float32)).numpy()
    reference = np.mean(log_q - log_p)
    assert abs(result["rate"] - reference) < 4 * result["rate_stderr"]
    assert result["rate"] > 0 and result["num_examples"] == 60


def test_hierarchical_rates_sum_the_groups():
    model = build_gated_mlp_hvae(IMAGE_SHAPE, latent_dim=2, hidden_units=(8,), seed=0)
    _, dataset = _data(40)
    result = evaluation.rate_and_distortion(model, dataset, num_samples=50)
    assert set(result["rate_per_group"]) == {"z1", "z2"} and not result["rate_closed_form"]
    np.testing.assert_allclose(result["rate"], sum(result["rate_per_group"].values()),
                               rtol=1e-6)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

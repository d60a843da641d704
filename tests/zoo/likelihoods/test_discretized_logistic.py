"""Discretized logistic (mixture) likelihood: a proper distribution over 256 levels."""

import numpy as np
import pytest
import scipy.special
import scipy.stats
import tensorflow as tf

from zoo import likelihoods


def _numpy_log_bin(x, loc, scale, num_bins=256):
    """float64 reference: CDF differences, edge bins taking the tails."""
    half = 0.5 / (num_bins - 1)
    upper = np.where(x > 1 - half, 1.0, scipy.stats.logistic.cdf(x + half, loc, scale))
    lower = np.where(x < half, 0.0, scipy.stats.logistic.cdf(x - half, loc, scale))
    with np.errstate(divide="ignore"):   # float64 underflow far in the tails
        return np.log(upper - lower)


def test_bin_log_probabilities_match_numpy_and_sum_to_one():
    rng = np.random.RandomState(0)
    loc = rng.uniform(-0.2, 1.2, size=(50, 1))
    log_scale = rng.uniform(-5.0, 1.0, size=(50, 1))
    grid = np.linspace(0.0, 1.0, 256)[None, :]
    log_p = likelihoods.log_discretized_logistic(
        tf.constant(grid, tf.float32), tf.constant(loc, tf.float32),
        tf.constant(log_scale, tf.float32)).numpy()
    expected = _numpy_log_bin(grid, loc, np.exp(log_scale))
    # Compare where the reference itself is accurate (float64 CDF differences
    # lose everything below ~1e-12).
    accurate = expected > -25
    np.testing.assert_allclose(log_p[accurate], expected[accurate], rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.exp(log_p.astype(np.float64)).sum(-1), 1.0, atol=1e-5)


def test_extreme_scales_stay_finite_and_exact():
    x = tf.constant([0.0, 0.5, 1.0, 0.5])
    loc = tf.constant([0.0, 0.5, 1.0, 0.9])
    log_scale = tf.constant([-7.0, -7.0, -7.0, 8.0])   # nearly a point mass; nearly flat
    log_p = likelihoods.log_discretized_logistic(x, loc, log_scale).numpy()
    assert np.all(np.isfinite(log_p))
    h_over_s = (0.5 / 255) / np.exp(-7.0)
    edge, interior = np.log(scipy.special.expit(h_over_s)), np.log(np.tanh(h_over_s / 2))
    np.testing.assert_allclose(log_p[:3], [edge, interior, edge], atol=1e-5)
    np.testing.assert_allclose(log_p[3], np.log(1 / 255 / (4 * np.exp(8.0))), rtol=1e-3)


@pytest.mark.parametrize("num_components", [1, 3])
def test_mixture_likelihood_against_numpy_and_its_samples(num_components):
    head = likelihoods.DiscretizedLogisticMixtureLikelihood((2, 2, 1), num_components,
                                                            seed=0)
    features = tf.constant(np.random.RandomState(1).randn(3, 8), tf.float32)
    head.build(features.shape)
    logits, loc, log_scale = [t.numpy().astype(np.float64)
                              for t in head.mixture_params(features)]
    x = np.round(np.random.RandomState(2).uniform(size=(3, 2, 2, 1)) * 255) / 255
    x[0, 0, 0, 0], x[1, 0, 0, 0] = 0.0, 1.0                     # edge bins
    per_component = _numpy_log_bin(x[..., None], loc, np.exp(log_scale))
    expected = scipy.special.logsumexp(
        scipy.special.log_softmax(logits, -1) + per_component, axis=-1).sum((1, 2, 3))
    np.testing.assert_allclose(head.log_prob(tf.constant(x, tf.float32), features).numpy(),
                               expected, rtol=1e-5, atol=1e-4)

    probs = head.bin_probabilities(features).numpy()
    np.testing.assert_allclose(probs.sum(-1), 1.0, atol=1e-5)
    np.testing.assert_allclose(head.mean(features).numpy(),
                               (probs * np.linspace(0, 1, 256)).sum(-1), rtol=1e-6)
    # Samples of one pixel: their bins follow bin_probabilities (chi-square).
    many = tf.repeat(features[:1], 20000, axis=0)
    samples = head.sample(many, seed=3).numpy()[:, 0, 0, 0]
    assert np.allclose(samples * 255, np.round(samples * 255))   # on the grid
    counts = np.bincount(np.round(samples * 255).astype(int), minlength=256)
    expected_counts = probs[0, 0, 0, 0] * len(samples)
    keep = expected_counts > 10
    chi2 = ((counts[keep] - expected_counts[keep]) ** 2 / expected_counts[keep]).sum()
    rest_observed, rest_expected = counts[~keep].sum(), expected_counts[~keep].sum()
    chi2 += (rest_observed - rest_expected) ** 2 / max(rest_expected, 1.0)
    assert scipy.stats.chi2.sf(chi2, df=keep.sum()) > 1e-3


def test_registry_and_config_round_trip():
    head = likelihoods.LIKELIHOODS.get("discretized_logistic_mixture")((28, 28, 1), name="h")
    assert head.num_components == 5 and head.params_per_dim == 15
    clone = likelihoods.DiscretizedLogisticMixtureLikelihood.from_config(head.get_config())
    assert (clone.num_components, clone.num_bins, clone.event_shape) == (5, 256, (28, 28, 1))


def test_trains_inside_a_vae_on_gray_levels():
    import keras

    from zoo.models import build_gated_mlp_vae
    x = (np.round(np.random.RandomState(0).beta(0.5, 0.5, size=(64, 4, 4, 1)) * 255)
         / 255).astype(np.float32)
    model = build_gated_mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(16,),
                                likelihood="discretized_logistic_mixture", seed=0)
    before = float(np.mean(model.elbo_terms(x, num_samples=10, seed=0).elbo))
    model.compile(keras.optimizers.Adam(1e-2), jit_compile=True)
    model.fit(x, batch_size=16, epochs=10, verbose=0)
    after = float(np.mean(model.elbo_terms(x, num_samples=10, seed=0).elbo))
    assert np.isfinite(after) and after > before + 5.0, (before, after)
    samples = model.sample(4, seed=1)["x"].numpy()
    assert samples.shape == (4, 4, 4, 1) and samples.min() >= 0 and samples.max() <= 1


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

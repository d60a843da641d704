"""Bernoulli and Gaussian likelihoods against scipy."""

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from zoo import likelihoods


def test_bernoulli_log_prob_mean_and_sample():
    lik = likelihoods.BernoulliLikelihood((2, 2, 1))
    lik.build((None, 5))                                   # flat features
    features = np.random.RandomState(0).randn(3, 4, 5).astype(np.float32)  # [S, batch, F]
    x = (np.random.RandomState(1).rand(4, 2, 2, 1) > 0.5).astype(np.float32)
    logits = lik.logits(features).numpy()
    assert logits.shape == (3, 4, 2, 2, 1)
    p = 1 / (1 + np.exp(-logits))
    expected = scipy.stats.bernoulli.logpmf(np.broadcast_to(x, p.shape), p).sum((2, 3, 4))
    np.testing.assert_allclose(lik.log_prob(x, features).numpy(), expected, rtol=1e-5)
    np.testing.assert_allclose(lik.mean(features).numpy(), p, rtol=1e-5)
    draws = lik.sample(np.repeat(features[:1], 4000, axis=0), seed=0).numpy()
    np.testing.assert_allclose(draws.mean(0), p[0], atol=0.04)


def test_bernoulli_extreme_logits_stay_finite():
    lik = likelihoods.BernoulliLikelihood((1,))
    lik.build((None, 1))
    lik.projection.set_weights([np.array([[1.0]], np.float32), np.zeros(1, np.float32)])
    x = np.array([[0.0], [1.0]], np.float32)
    lp = lik.log_prob(x, np.array([[200.0], [200.0]], np.float32))
    np.testing.assert_allclose(lp.numpy(), [-200.0, 0.0], atol=1e-5)


def test_spatial_features_use_a_per_pixel_projection():
    lik = likelihoods.BernoulliLikelihood((4, 4, 1))
    lik.build((None, 4, 4, 8))
    assert lik.projection.kernel.shape == (8, 1)
    assert lik.mean(tf.zeros((2, 4, 4, 8))).shape == (2, 4, 4, 1)


def test_gaussian_log_prob_matches_scipy():
    lik = likelihoods.GaussianLikelihood((3,), log_scale_init=np.log(0.7))
    lik.build((None, 2))
    features = np.random.RandomState(0).randn(5, 2).astype(np.float32)
    x = np.random.RandomState(1).randn(5, 3).astype(np.float32)
    mean = lik.mean(features).numpy()
    np.testing.assert_allclose(lik.log_prob(x, features).numpy(),
                               scipy.stats.norm.logpdf(x, mean, 0.7).sum(-1),
                               rtol=1e-5, atol=1e-5)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))


def test_support_value_range_and_parameters_of_each_likelihood():
    features = np.random.RandomState(0).randn(3, 5).astype(np.float32)
    bernoulli = likelihoods.BernoulliLikelihood((2, 2, 1))
    logistic = likelihoods.DiscretizedLogisticMixtureLikelihood((2, 2, 1), num_components=2)
    gaussian = likelihoods.GaussianLikelihood((2, 2, 1))
    for lik in (bernoulli, logistic, gaussian):
        lik.build((None, 5))
    on = lambda lik, values: bool(lik.on_support(tf.constant(values, tf.float32)))

    assert bernoulli.value_range == (0.0, 1.0)
    assert on(bernoulli, [0.0, 1.0, 1.0]) and not on(bernoulli, [0.0, 0.5])
    levels = np.arange(256) / 255.0
    assert logistic.value_range == (0.0, 1.0)
    assert on(logistic, levels) and not on(logistic, levels + 0.3 / 255)
    assert not on(logistic, [256 / 255.0])                  # a level past the last bin
    assert "k / 255" in logistic.support_description
    assert gaussian.value_range is None and on(gaussian, [-3.0, 1e6])

    np.testing.assert_allclose(bernoulli.parameters(features)["logits"],
                               bernoulli.logits(features))
    logits, loc, log_scale = logistic.mixture_params(features)
    params = logistic.parameters(features)
    for name, expected in (("mixture_logits", logits), ("loc", loc), ("log_scale", log_scale)):
        np.testing.assert_allclose(params[name], expected)
        assert params[name].shape == (3, 2, 2, 1, 2)
    params = gaussian.parameters(features)
    np.testing.assert_allclose(params["loc"], gaussian.mean(features))
    np.testing.assert_allclose(params["scale"], np.ones((3, 2, 2, 1)))

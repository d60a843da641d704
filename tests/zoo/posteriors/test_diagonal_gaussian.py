"""Diagonal-Gaussian posterior: log q against scipy, clipping, seeds."""

import numpy as np
import pytest
import scipy.stats

from zoo import posteriors


def test_sample_and_log_prob_matches_scipy():
    post = posteriors.DiagonalGaussianPosterior(3)
    post.build((None, 4))
    h = np.random.RandomState(0).randn(5, 4).astype(np.float32)
    z, log_q = post.sample_and_log_prob(h, num_samples=7, seed=1)
    loc, scale = [t.numpy() for t in post.params(h)]
    assert z.shape == (7, 5, 3) and log_q.shape == (7, 5)
    np.testing.assert_allclose(log_q.numpy(),
                               scipy.stats.norm.logpdf(z.numpy(), loc, scale).sum(-1),
                               rtol=1e-5, atol=1e-5)  # float32 round-off near 0
    z2, _ = post.sample_and_log_prob(h, num_samples=7, seed=1)
    np.testing.assert_array_equal(z.numpy(), z2.numpy())


def test_log_variance_is_clipped():
    post = posteriors.DiagonalGaussianPosterior(2, log_var_range=(-6.0, 2.0))
    post.build((None, 1))
    post.log_var_head.set_weights([np.array([[1.0, 1.0]], np.float32),
                                   np.array([-100.0, 100.0], np.float32)])
    _, scale = post.params(np.zeros((1, 1), np.float32))
    np.testing.assert_allclose(scale.numpy(), [[np.exp(-3.0), np.exp(1.0)]], rtol=1e-6)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

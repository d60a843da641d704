"""Standard normal prior against scipy."""

import keras
import numpy as np
import pytest
import scipy.stats

from zoo import priors


def test_log_prob_matches_scipy_for_any_leading_shape():
    prior = priors.StandardNormalPrior((3,))
    z = np.random.RandomState(0).randn(4, 5, 3).astype(np.float32)
    np.testing.assert_allclose(prior.log_prob(z).numpy(),
                               scipy.stats.norm.logpdf(z).sum(-1), rtol=1e-6)
    np.testing.assert_allclose(prior(z).numpy(), prior.log_prob(z).numpy())


def test_samples_are_standard_normal_and_seeded():
    prior = priors.StandardNormalPrior((2,))
    z = prior.sample(20000, seed=3).numpy()
    assert z.shape == (20000, 2)
    # Kolmogorov-Smirnov on each coordinate with a fixed seed.
    for d in range(2):
        assert scipy.stats.kstest(z[:, d], "norm").pvalue > 0.01
    np.testing.assert_array_equal(z, prior.sample(20000, seed=3).numpy())
    assert not np.array_equal(prior.sample(5).numpy(), prior.sample(5).numpy())


def test_registry_builds_and_config_round_trips():
    prior = priors.build_prior("standard", (4,), name="p", seed=2)
    clone = priors.StandardNormalPrior.from_config(prior.get_config())
    assert clone.latent_shape == (4,) and clone.seed == 2
    assert keras.saving.deserialize_keras_object(
        keras.saving.serialize_keras_object(prior)).latent_shape == (4,)
    with pytest.raises(KeyError, match="Known priors: maf, mog, realnvp, standard, vamp"):
        priors.build_prior("vampire", (4,))


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

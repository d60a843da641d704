"""Active units, closest pairs and posterior moments against numpy references."""

import numpy as np
import pytest
import tensorflow as tf

from tests.tiny_models import IMAGE_SHAPE, tiny_vae
from zoo import evaluation, posteriors
from zoo.models import build_gated_mlp_hvae, build_gated_mlp_vae


def _images(n, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.rand(n, *IMAGE_SHAPE) > 0.5).astype(np.float32)


def _batches(x, batch=25):
    return tf.data.Dataset.from_tensor_slices(x).batch(batch)


@pytest.mark.parametrize("k", [0, 1, 3])
def test_active_units_counts_the_means_that_depend_on_x(k):
    model = build_gated_mlp_vae(IMAGE_SHAPE, latent_dim=5, hidden_units=(8,), seed=0)
    kernel, bias = model.posterior.loc_head.get_weights()
    kernel[:, k:] = 0.0                     # units k.. have the same mean for every x
    kernel[:, :k] *= 20.0                   # units ..k vary well above the threshold
    bias[:] = 0.3
    model.posterior.loc_head.set_weights([kernel, bias])
    moments = evaluation.posterior_moments_over_dataset(model, _batches(_images(200)))
    units = evaluation.active_units(moments["z"]["mean"])
    assert units["count"] == k
    np.testing.assert_array_equal(units["active"], np.arange(5) < k)
    np.testing.assert_allclose(units["activity"],
                               np.var(moments["z"]["mean"].astype(np.float64), axis=0))
    assert np.all(units["activity"][k:] < 1e-10)
    with pytest.raises(ValueError, match=r"\[N >= 2, D\]"):
        evaluation.active_units(np.zeros(5))


def test_closest_pairs_equal_a_brute_force_search():
    rng = np.random.RandomState(1)
    means, stds = rng.randn(50, 3), rng.uniform(0.1, 2.0, size=(50, 3))
    found = evaluation.closest_pairs(means, stds, chunk_size=7)   # several uneven chunks
    for i in range(50):
        d = [np.linalg.norm(means[i] - means[j]) if j != i else np.inf for j in range(50)]
        j = int(np.argmin(d))
        u = (means[j] - means[i]) / d[j]
        std_along = lambda n: np.sqrt(np.sum(u ** 2 * stds[n] ** 2))
        assert found["index"][i] == j
        np.testing.assert_allclose(found["distance"][i], d[j], rtol=1e-9)
        np.testing.assert_allclose(found["normalized_distance"][i],
                                   2 * d[j] / (std_along(i) + std_along(j)), rtol=1e-9)
    with pytest.raises(ValueError, match="of one shape"):
        evaluation.closest_pairs(means, stds[:, :2])


def test_gaussian_posterior_moments_are_its_parameters():
    model = tiny_vae("standard")
    x = _images(10)
    loc, scale = model.posterior.params(model.encoder(x))
    mean, std = model.posterior_moments(x)["z"]
    np.testing.assert_allclose(mean, loc)
    np.testing.assert_allclose(std, scale)


def test_flow_posterior_moments_are_those_of_its_samples():
    model = build_gated_mlp_vae(IMAGE_SHAPE, latent_dim=3, hidden_units=(8,), posterior="iaf",
                                posterior_config=posteriors.IAFPosteriorConfig(
                                    num_steps=2, hidden_units=(8,)), seed=0)
    x = _images(6)
    seed = tf.constant([4, 5], tf.int64)
    mean, std = model.posterior_moments(x, num_samples=300, seed=seed)["z"]
    z, _ = model.posterior.sample_and_log_prob(model.encoder(x), 300, seed)
    np.testing.assert_allclose(mean, np.mean(z, axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(std, np.std(z, axis=0), rtol=1e-4, atol=1e-6)


def test_hvae_bottom_moments_are_those_of_joint_samples():
    model = build_gated_mlp_hvae(IMAGE_SHAPE, latent_dim=2, hidden_units=(8,), seed=0)
    x = _images(4)
    moments = model.posterior_moments(x, num_samples=4000, seed=3)
    loc2, scale2 = model.posterior.params(model.encoder(x))
    np.testing.assert_allclose(moments["z2"][0], loc2)
    np.testing.assert_allclose(moments["z2"][1], scale2)
    # z1 drawn jointly, (z2, z1) ~ q, by the sampler the ELBO uses.
    features = model.encoder(x)
    z2, _ = model.posterior.sample_and_log_prob(features, 4000, seed=tf.constant([7, 8]))
    z1, _ = model.bottom_posterior.sample_and_log_prob(model.bottom_encoder([x, z2]), 1,
                                                       seed=tf.constant([9, 10]))
    z1 = np.asarray(z1[0])
    standard_error = np.std(z1, axis=0) / np.sqrt(4000)
    assert np.all(np.abs(moments["z1"][0] - np.mean(z1, axis=0)) < 5 * standard_error + 1e-3)
    np.testing.assert_allclose(moments["z1"][1], np.std(z1, axis=0), rtol=0.08)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

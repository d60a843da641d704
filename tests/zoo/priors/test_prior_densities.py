"""Every prior in 2-D: its density integrates to 1 and its samples follow it; flow priors."""

import numpy as np
import pytest
import scipy.stats
import tensorflow as tf

from zoo import priors


def _perturb(prior, scale, seed=0):
    rng = np.random.RandomState(seed)
    for w in prior.weights:
        if w.dtype == "float32" and w.trainable:
            w.assign(w.numpy() + scale * rng.randn(*w.shape).astype(np.float32))


def _vamp():
    prior = priors.VampPrior((2,), pseudo_input_shape=(3,), num_components=4,
                             trainable_mixture_weights=True)
    a = tf.constant([[2.0, 0.0], [0.0, -2.0], [1.0, 1.0]])
    prior.attach_encoder(lambda u: (tf.matmul(u, a) - 1.0, tf.exp(tf.matmul(u, -a / 4))))
    prior.build(None)
    prior.pseudo_inputs.assign(np.random.RandomState(0).uniform(size=(4, 3)))
    return prior


PRIORS_2D = {
    "standard": lambda: priors.StandardNormalPrior((2,)),
    "mog": lambda: priors.MixtureOfGaussiansPrior((2,), num_components=3,
                                                  trainable_mixture_weights=True),
    "vamp": _vamp,
    "realnvp": lambda: priors.RealNVPPrior((2,), num_blocks=3, hidden_units=(8,)),
    "maf_affine": lambda: priors.MAFPrior((2,), num_steps=3, hidden_units=(8,),
                                          shift_only=False),
    "maf_shift_only": lambda: priors.MAFPrior((2,), num_steps=2, hidden_units=(8,)),
}


@pytest.fixture(params=sorted(PRIORS_2D))
def prior(request):
    prior = PRIORS_2D[request.param]()
    if not prior.built:
        prior.build((None, 2))
    _perturb(prior, scale=0.0 if request.param == "vamp" else 0.1)
    return prior


def test_density_integrates_to_one_on_a_grid(prior):
    edges = np.linspace(-12.0, 12.0, 601)
    centers = (edges[:-1] + edges[1:]) / 2
    grid = np.stack(np.meshgrid(centers, centers, indexing="ij"), -1).astype(np.float32)
    density = np.exp(prior.log_prob(grid).numpy().astype(np.float64))
    total = density.sum() * (edges[1] - edges[0]) ** 2
    assert abs(total - 1.0) < 5e-3, total


def test_samples_follow_log_prob(prior):
    # Chi-square goodness of fit: sample counts in 2-D cells against the
    # cell probabilities integrated from exp(log_prob) on a fine sub-grid.
    samples = prior.sample(20000, seed=7).numpy()
    assert samples.shape == (20000, 2) and np.all(np.isfinite(samples))
    lo, hi = np.percentile(samples, [2, 98], axis=0)
    cells, sub = 6, 30
    xs = [np.linspace(lo[d], hi[d], cells * sub + 1) for d in range(2)]
    centers = [(x[:-1] + x[1:]) / 2 for x in xs]
    grid = np.stack(np.meshgrid(*centers, indexing="ij"), -1).astype(np.float32)
    density = np.exp(prior.log_prob(grid).numpy().astype(np.float64))
    area = (xs[0][1] - xs[0][0]) * (xs[1][1] - xs[1][0])
    probs = density.reshape(cells, sub, cells, sub).sum((1, 3)) * area
    counts, _, _ = np.histogram2d(samples[:, 0], samples[:, 1],
                                  bins=[xs[0][::sub], xs[1][::sub]])
    expected = probs * len(samples)
    keep = expected > 20
    outside_observed = len(samples) - counts[keep].sum()
    outside_expected = len(samples) - expected[keep].sum()
    chi2 = (((counts[keep] - expected[keep]) ** 2) / expected[keep]).sum() + \
        (outside_observed - outside_expected) ** 2 / outside_expected
    pvalue = scipy.stats.chi2.sf(chi2, df=keep.sum())
    assert pvalue > 1e-3, (chi2, keep.sum())
    np.testing.assert_array_equal(samples, prior.sample(20000, seed=7).numpy())


def test_realnvp_prior_starts_as_the_gaussian_fitted_to_the_posterior_samples():
    # After data-dependent init (the first actnorm standardizes z; the later
    # ones see nearly standard data) with zero couplings and orthogonal dense
    # maps, log p(z) is about N(z; mean, diag(var)) of the samples, and the
    # flow maps the samples to mean 0 (exactly: rotations keep it) and standard
    # deviation 1 (up to the sample correlations the last rotation mixes in).
    prior = priors.RealNVPPrior((3,), num_blocks=4, hidden_units=(8,), seed=0)
    prior.build(None)
    rng = np.random.RandomState(0)
    z = (rng.randn(5000, 3) * [0.5, 2.0, 1.0] + [1.0, -2.0, 0.0]).astype(np.float32)
    prior.initialize_from_data(None, z)
    test = rng.randn(10, 3).astype(np.float32)
    expected = scipy.stats.norm.logpdf(test, z.mean(0), z.std(0)).sum(-1)
    np.testing.assert_allclose(prior.log_prob(test).numpy(), expected, atol=0.1)
    eps = prior.flow(z).numpy()
    np.testing.assert_allclose(eps.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(eps.std(0), 1.0, atol=1e-2)


@pytest.mark.parametrize("name,config", [
    ("realnvp", priors.RealNVPPriorConfig(num_blocks=50, hidden_units=(4,))),
    ("maf", priors.MAFPriorConfig(num_steps=50, hidden_units=(4,))),
])
def test_a_deep_flows_graph_op_names_do_not_grow_with_its_depth(name, config):
    # TFP's default Chain name joins every bijector's name, and each op under it carries that
    # name: graph memory then grew with the square of the depth (16 GB for a K = 50 train step).
    prior = priors.build_prior(name, (6,), config, input_shape=(4, 4, 1))
    prior.build((None, 6))

    def log_prob_and_gradient(z):
        with tf.GradientTape() as tape:
            log_prob = tf.reduce_sum(prior.log_prob(z))
        return tape.gradient(log_prob, prior.trainable_weights)

    graph = tf.function(log_prob_and_gradient).get_concrete_function(
        tf.TensorSpec([8, 6])).graph
    longest = max(len(op.name) for op in graph.get_operations())
    assert longest < 400, longest


def test_maf_prior_starts_standard_normal_and_flows_need_flat_latents():
    prior = priors.MAFPrior((4,), num_steps=2, hidden_units=(8,))
    prior.build(None)
    z = np.random.RandomState(1).randn(6, 4).astype(np.float32)
    np.testing.assert_allclose(prior.log_prob(z).numpy(),
                               scipy.stats.norm.logpdf(z).sum(-1), rtol=1e-5)
    with pytest.raises(ValueError, match="needs a flat latent"):
        priors.RealNVPPrior((2, 2))


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

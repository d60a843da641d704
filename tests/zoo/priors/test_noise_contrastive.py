"""NoiseContrastivePrior on known densities: the ratio a classifier learns, log Z, SIR, Langevin."""

import math
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import stats

from zoo.networks import ResidualMLP
from zoo.priors import NoiseContrastivePrior, StandardNormalPrior
from zoo.priors.noise_contrastive import gumbel_max_resample

# q, the "aggregate posterior": a correlated 2-D Gaussian away from the base N(0, I).
Q_MEAN = np.array([0.6, -0.4])
Q_COV = np.array([[0.5, 0.2], [0.2, 0.4]])


@keras.saving.register_keras_serializable(package="tests")
class ExactLogRatio(keras.layers.Layer):
    """log q(z) - log N(z; 0, I) for the Gaussian q above, as logits `[..., 1]`."""

    def call(self, z):
        precision = tf.constant(np.linalg.inv(Q_COV), tf.float32)
        d = z - tf.constant(Q_MEAN, tf.float32)
        log_q = (-0.5 * tf.einsum("...i,ij,...j->...", d, precision, d)
                 - 0.5 * math.log(np.linalg.det(2 * np.pi * Q_COV)))
        log_p = -0.5 * tf.reduce_sum(tf.square(z), -1) - math.log(2 * np.pi)
        return (log_q - log_p)[..., None]


@keras.saving.register_keras_serializable(package="tests")
class LinearLogRatio(keras.layers.Layer):
    """log r(z) = a . z + c: under N(0, I), Z = E[r] = exp(c + |a|^2 / 2)."""

    def __init__(self, a=(0.8, -0.5), c=0.3, **kwargs):
        super().__init__(**kwargs)
        self.a, self.c = tuple(a), float(c)

    def call(self, z):
        return (tf.reduce_sum(z * tf.constant(self.a, tf.float32), -1) + self.c)[..., None]

    def get_config(self):
        return dict(super().get_config(), a=list(self.a), c=self.c)

    @property
    def log_z(self):
        return self.c + 0.5 * float(np.sum(np.square(self.a)))


def ncp(classifier, **options):
    prior = NoiseContrastivePrior(StandardNormalPrior((2,), seed=1), classifier, **options)
    prior.build((None, 2))
    return prior


def q_samples(n, seed):
    return np.random.RandomState(seed).multivariate_normal(Q_MEAN, Q_COV, n).astype(np.float32)


def test_a_trained_classifier_learns_log_q_minus_log_p_and_z_is_one():
    # Eq. 3 with q and p known: the optimum is log r = log q - log p, and
    # then Z = E_p[q / p] = 1.
    n = 40_000
    z = np.concatenate([q_samples(n, 0), np.random.RandomState(1).randn(n, 2)]).astype("float32")
    labels = np.concatenate([np.ones(n), np.zeros(n)]).astype("float32")
    classifier = ResidualMLP(64, 2, name="classifier")
    model = keras.Sequential([keras.Input((2,)), classifier])
    model.compile(keras.optimizers.Adam(3e-3),
                  keras.losses.BinaryCrossentropy(from_logits=True))
    model.fit(z, labels, batch_size=500, epochs=12, shuffle=True, verbose=0)

    prior = ncp(classifier)
    # A grid over q's bulk: the points of a 15 x 15 grid within Mahalanobis distance 2 of q
    # (86% of q's mass).
    axes = [np.linspace(m - 2 * s, m + 2 * s, 15) for m, s in zip(Q_MEAN, np.sqrt(np.diag(Q_COV)))]
    grid = np.stack(np.meshgrid(*axes), -1).reshape(-1, 2)
    d = grid - Q_MEAN
    grid = grid[np.einsum("ni,ij,nj->n", d, np.linalg.inv(Q_COV), d) <= 4].astype("float32")
    assert len(grid) > 100
    truth = (stats.multivariate_normal(Q_MEAN, Q_COV).logpdf(grid)
             - stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(grid))
    error = np.abs(prior.log_ratio(grid).numpy() - truth)
    # Stated tolerance: 0.1 nats on average over the grid, 0.3 at worst.
    assert np.mean(error) < 0.1 and np.max(error) < 0.3, (np.mean(error), np.max(error))

    estimate = prior.estimate_log_normalizer(200_000, 50_000, seed=3)
    assert abs(estimate["log_normalizer"]) < 0.05 + 3 * estimate["stderr"], estimate

    drawn = prior.sample_sir(2000, num_proposals=500, seed=4)["z"].numpy()
    np.testing.assert_allclose(drawn.mean(0), Q_MEAN, atol=0.08)
    np.testing.assert_allclose(np.cov(drawn.T), Q_COV, atol=0.08)


def test_sir_and_langevin_with_the_exact_ratio_sample_q():
    prior = ncp(ExactLogRatio(), num_proposals=1000, langevin_step_size=0.05,
                langevin_steps=400)
    sir = prior.sample_sir(3000, seed=0)
    z = sir["z"].numpy()
    # Moments of 3000 draws: standard errors of the mean ~0.013, of the covariances ~0.013.
    np.testing.assert_allclose(z.mean(0), Q_MEAN, atol=0.05)
    np.testing.assert_allclose(np.cov(z.T), Q_COV, atol=0.05)
    ess = sir["effective_sample_size"].numpy()
    assert ess.shape == (3000,) and np.all((ess >= 1) & (ess <= 1000))
    # ESS = M / E_p[r^2] for M large; E_p[r^2] = E_q[q / p] computed by Monte Carlo.
    expected_ess = 1000 / np.mean(np.exp(ExactLogRatio()(q_samples(200_000, 5))[:, 0]))
    assert np.mean(ess) == pytest.approx(expected_ess, rel=0.1)

    langevin = prior.sample_langevin(3000, seed=1).numpy()
    # Discretization bias of the unadjusted chain at step 0.05 is a few percent.
    np.testing.assert_allclose(langevin.mean(0), Q_MEAN, atol=0.05)
    np.testing.assert_allclose(np.cov(langevin.T), Q_COV, atol=0.05)

    # `sample` follows `sampler`.
    np.testing.assert_array_equal(prior.sample(5, seed=7), prior.sample_sir(5, seed=7)["z"])
    prior.sampler = "langevin"
    np.testing.assert_array_equal(prior.sample(5, seed=7), prior.sample_langevin(5, seed=7))
    prior.sampler = "base"
    np.testing.assert_array_equal(prior.sample(5, seed=7), prior.base.sample(5, seed=7))


def test_the_log_z_estimator_is_unbiased_and_its_standard_error_shrinks():
    classifier = LinearLogRatio()
    prior = ncp(classifier)
    true_z = math.exp(classifier.log_z)

    def replicates(num_samples, count=40):
        runs = [prior.estimate_log_normalizer(num_samples, num_samples, seed=[7, i])
                for i in range(count)]
        return (np.array([r["log_normalizer"] for r in runs]),
                np.array([r["stderr"] for r in runs]))

    log_z, stderr = replicates(2000)
    z_hat = np.exp(log_z)
    # Z_hat is unbiased: its mean over 40 replicates is within 3 standard errors of Z.
    assert abs(z_hat.mean() - true_z) < 3 * z_hat.std(ddof=1) / np.sqrt(len(z_hat))
    # The reported standard error matches the spread of log Z_hat across replicates.
    assert np.mean(stderr) == pytest.approx(np.std(log_z, ddof=1), rel=0.3)
    # And halves when the samples quadruple.
    _, stderr_4x = replicates(8000, count=10)
    assert np.mean(stderr_4x) / np.mean(stderr) == pytest.approx(0.5, rel=0.15)

    # The estimate is stored with the prior; one large run is within 3 stderr of log Z.
    big = prior.estimate_log_normalizer(400_000, 100_000, seed=1)
    assert abs(big["log_normalizer"] - classifier.log_z) < 3 * big["stderr"]
    assert prior.log_normalizer_report() == {
        "log_normalizer": pytest.approx(big["log_normalizer"]),
        "stderr": pytest.approx(big["stderr"]), "num_samples": 400_000}


def test_log_prob_needs_log_z_then_is_log_r_plus_log_p_minus_log_z():
    prior = ncp(LinearLogRatio())
    z = np.random.RandomState(0).randn(6, 2).astype("float32")
    with pytest.raises(ValueError, match="needs log Z.*estimate_log_normalizer"):
        prior.log_prob(z)
    with pytest.raises(ValueError, match="needs log Z"):
        tf.function(prior.log_prob)(z)
    prior.sample(3, seed=0)   # Sampling needs no Z.

    prior.log_normalizer.assign(0.25)
    expected = (z @ np.array([0.8, -0.5]) + 0.3
                + stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z) - 0.25)
    np.testing.assert_allclose(prior.log_prob(z), expected, rtol=1e-5)
    np.testing.assert_allclose(prior.energy(z), -(expected + 0.25), rtol=1e-5)


def test_gumbel_max_resampling_picks_in_proportion_to_the_weights_across_chunks():
    # 10 proposals with known weights, in chunks of 3 (the last one short);
    # 20,000 outputs, each a choice among its own copy of the 10.
    log_w = np.log(np.arange(1, 11, dtype=np.float32))
    outputs = 20_000

    calls = []

    def fixed(n, chunk_seed):
        index = len(calls)
        calls.append(index)
        values = tf.range(3 * index, 3 * index + n)
        z = tf.tile(tf.cast(values, tf.float32)[:, None, None], [1, outputs, 1])
        return z, tf.tile(tf.gather(log_w, values)[:, None], [1, outputs])

    result = gumbel_max_resample(fixed, 10, 3, tf.constant([0, 1], tf.int64))
    chosen = result["choice"].numpy()[:, 0].astype(int)
    counts = np.bincount(chosen, minlength=10)
    weights = np.arange(1, 11, dtype=np.float64)
    expected = outputs * weights / weights.sum()
    assert stats.chisquare(counts, expected).pvalue > 1e-3, counts
    np.testing.assert_allclose(result["log_sum"], np.log(np.exp(log_w).sum()), rtol=1e-6)
    np.testing.assert_allclose(result["log_sum_sq"], np.log(np.exp(2 * log_w).sum()),
                               rtol=1e-6)


def test_constant_ratio_gives_full_effective_sample_size_and_exact_z(capsys):
    prior = ncp(LinearLogRatio(a=(0.0, 0.0), c=-0.7))
    assert prior.estimate_log_normalizer(1000, 300, seed=0, progress="log Z") == {
        "log_normalizer": pytest.approx(-0.7, abs=1e-6), "stderr": pytest.approx(0, abs=1e-3),
        "num_samples": 1000, "effective_sample_size": pytest.approx(1000, rel=1e-4)}
    lines = capsys.readouterr().err.splitlines()   # 4 chunks: the first and the last reported
    assert lines[0].startswith("log Z: 1/4 chunks") and lines[-1].startswith("log Z: 4/4 chunks")
    ess = prior.sample_sir(4, num_proposals=250, chunk_size=100, seed=0)
    np.testing.assert_allclose(ess["effective_sample_size"], 250, rtol=1e-4)


def test_round_trip_keeps_classifier_base_and_log_z(tmp_path):
    classifier = ResidualMLP(8, 1, name="classifier")
    prior = ncp(classifier, sampler="langevin", num_proposals=77, langevin_steps=3)
    prior.estimate_log_normalizer(1000, 1000, seed=0)
    inputs = keras.Input((2,))
    model = keras.Model(inputs, prior(inputs))
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path).layers[-1]
    assert isinstance(loaded, NoiseContrastivePrior)
    assert (loaded.sampler, loaded.num_proposals, loaded.langevin_steps) == ("langevin", 77, 3)
    assert loaded.log_normalizer_report() == prior.log_normalizer_report()
    z = np.random.RandomState(0).randn(4, 2).astype("float32")
    np.testing.assert_array_equal(loaded.log_prob(z), prior.log_prob(z))
    assert not loaded.trainable_weights


@pytest.mark.parametrize("options, message", [
    ({"sampler": "mcmc"}, "sampler must be one of"),
    ({"num_proposals": 0}, "num_proposals must be at least 1"),
    ({"langevin_step_size": 0.0}, "langevin_step_size must be positive"),
])
def test_bad_options_are_refused(options, message):
    with pytest.raises(ValueError, match=message):
        NoiseContrastivePrior(StandardNormalPrior((2,)), LinearLogRatio(), **options)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

"""NCP-VAE: stage-2 estimation, the NCP in the ELBO terms of one- and two-level models,
the joint log Z, SIR per group, serialization and export."""

import math
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from savedmodels import export
from tests.tiny_models import IMAGE_SHAPE, LATENT_DIM, tiny_vae
from zoo.models import NoiseContrastiveEstimation, build_gated_mlp_hvae
from zoo.networks import ResidualMLP
from zoo.priors import NoiseContrastiveConditional, NoiseContrastivePrior
from zoo.random import fold_in


@keras.saving.register_keras_serializable(package="tests")
class LinearInZ(keras.layers.Layer):
    """logit = a . z + c, ignoring any context: `z [..., D]` or `[z, c]` -> `[..., 1]`."""

    def __init__(self, a, c=0.0, **kwargs):
        super().__init__(**kwargs)
        self.a, self.c = tuple(float(v) for v in a), float(c)

    def call(self, inputs):
        z = inputs[0] if isinstance(inputs, (list, tuple)) else inputs
        return (tf.reduce_sum(z * tf.constant(self.a, z.dtype), -1) + self.c)[..., None]

    def get_config(self):
        return dict(super().get_config(), a=list(self.a), c=self.c)


def images(n, seed=0):
    return (np.random.RandomState(seed).rand(n, *IMAGE_SHAPE) > 0.5).astype(np.float32)


def tiny_hvae(prior="standard"):
    return build_gated_mlp_hvae(IMAGE_SHAPE, latent_dim=LATENT_DIM, hidden_units=(8,),
                                prior=prior, seed=1)


def random_classifier(name, seed):
    """A ResidualMLP whose zero-initialized head is replaced by random weights."""
    classifier = ResidualMLP(8, 1, name=name)
    classifier.build((None, LATENT_DIM))
    kernel = classifier.output_layer.kernel
    kernel.assign(0.3 * np.random.RandomState(seed).randn(*kernel.shape).astype("float32"))
    return classifier


def test_estimation_loss_is_eq_3_and_training_lowers_it():
    vae = tiny_vae("standard")
    # q(z) shifted away from N(0, I) by construction, whatever the initial weights.
    vae.posterior.loc_head.bias.assign(np.full(vae.latent_shape, 1.5, "float32"))
    classifier = ResidualMLP(16, 1, name="classifier_z")
    estimator = NoiseContrastiveEstimation(vae, {"z": classifier}, seed=0)
    x = images(64)
    seed = tf.constant([5, 6], tf.int64)
    # A zero head starts at D = 1/2: L = 2 log 2.
    (loss, accuracy), = estimator.group_losses(x, seed).values()
    assert float(loss) == pytest.approx(2 * math.log(2), abs=1e-6)

    estimator.compile(keras.optimizers.Adam(1e-2))
    estimator.fit(tf.data.Dataset.from_tensor_slices(x).batch(16).repeat(), steps_per_epoch=20,
                  epochs=3, verbose=0)
    # L against its definition, softplus of the logits of the same pairs.
    z_q, z_p, context = vae.noise_contrastive_pairs(x, seed)["z"]
    assert context is None
    logit = lambda z: classifier(z).numpy()[:, 0]
    expected = (np.mean(np.logaddexp(0, -logit(z_q))) + np.mean(np.logaddexp(0, logit(z_p))))
    (loss, accuracy), = estimator.group_losses(x, seed).values()
    assert float(loss) == pytest.approx(expected, rel=1e-5)
    assert float(loss) < 2 * math.log(2) - 0.05
    assert float(accuracy) == pytest.approx(
        0.5 * (np.mean(logit(z_q) > 0) + np.mean(logit(z_p) < 0)))
    # The VAE stays frozen.
    assert not vae.trainable_weights

    with pytest.raises(ValueError, match=r"No classifier for the latent groups \['z1'\]"):
        NoiseContrastiveEstimation(tiny_hvae(), {"z2": ResidualMLP(4, 0)})


def test_ncp_vae_elbo_terms_add_log_r_minus_log_z_to_the_prior_term():
    vae = tiny_vae("vamp")
    model = vae.with_noise_contrastive_prior({"z": random_classifier("c", 0)})
    assert model.encoder is vae.encoder and model.decoder is vae.decoder
    with pytest.raises(ValueError, match="needs log Z"):
        model.log_likelihood(images(2), 10)
    stats = model.estimate_log_normalizer(20_000, 5000, seed=0)
    assert np.isfinite(stats["log_normalizer"]) and stats["stderr"] < 0.05

    x, seed = images(6), tf.constant([3, 4], tf.int64)
    base, ncp = vae.elbo_terms(x, seed=seed), model.elbo_terms(x, seed=seed)
    z, _ = vae.posterior.sample_and_log_prob(vae.encoder(x), 1, seed)
    np.testing.assert_allclose(
        ncp.log_pz["z"] - base.log_pz["z"],
        model.prior.log_ratio(z[0]) - stats["log_normalizer"], rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(ncp.log_px_z, base.log_px_z)
    np.testing.assert_array_equal(ncp.log_qz_x["z"], base.log_qz_x["z"])


def test_hierarchical_ncp_terms_joint_log_z_and_round_trip(tmp_path):
    hvae = tiny_hvae("vamp")
    z1_classifier = ResidualMLP(8, 1, name="c1")
    z1_classifier.build([(None, LATENT_DIM), (None, 8)])
    z1_classifier.output_layer.kernel.assign(np.random.RandomState(1).randn(8, 1) * 0.5)
    model = hvae.with_noise_contrastive_prior(
        {"z2": random_classifier("c2", 0), "z1": z1_classifier}, num_proposals=64)
    assert isinstance(model.prior, NoiseContrastivePrior)
    assert isinstance(model.conditional_prior, NoiseContrastiveConditional)
    stats = model.estimate_log_normalizer(20_000, 5000, seed=0)
    log_z = stats["log_normalizer"]

    x, seed = images(5), tf.constant([8, 9], tf.int64)
    base, ncp = hvae.elbo_terms(x, seed=seed), model.elbo_terms(x, seed=seed)
    # Recompute the joint sample as HierarchicalVAE._log_weights draws it.
    z2, _ = hvae.posterior.sample_and_log_prob(hvae.encoder(x), 1, fold_in(seed, 0))
    z1, _ = hvae.bottom_posterior.sample_and_log_prob(hvae.bottom_encoder([x, z2]), 1,
                                                      fold_in(seed, 1))
    context = hvae.conditional_prior_encoder(z2)
    np.testing.assert_allclose(ncp.log_pz["z2"] - base.log_pz["z2"],
                               model.prior.log_ratio(z2[0]) - log_z, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(ncp.log_pz["z1"] - base.log_pz["z1"],
                               model.conditional_prior.log_ratio(z1[0][0], context[0]),
                               rtol=1e-5, atol=1e-5)

    path = str(tmp_path / "hvae_ncp.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert not model.trainable_weights and not loaded.trainable_weights   # frozen, also loaded
    np.testing.assert_array_equal(loaded.log_likelihood(x, 50, seed=1),
                                  model.log_likelihood(x, 50, seed=1))
    for key, value in model.sample(4, seed=2).items():
        np.testing.assert_array_equal(loaded.sample(4, seed=2)[key], value)


def test_joint_log_z_of_constant_ratios_is_their_sum():
    model = tiny_hvae().with_noise_contrastive_prior(
        {"z2": LinearInZ([0.0] * LATENT_DIM, 0.4), "z1": LinearInZ([0.0] * LATENT_DIM, -1.1)})
    stats = model.estimate_log_normalizer(3000, 1000, seed=0)
    assert stats["log_normalizer"] == pytest.approx(-0.7, abs=1e-5)
    assert stats["stderr"] == pytest.approx(0.0, abs=1e-3)


def test_sir_per_group_tilts_the_conditional_gaussian_by_the_linear_ratio():
    # p(z1 | z2) = N(mu, s^2) reweighted by exp(a . z1) is N(mu + s^2 a, s^2).
    hvae = tiny_hvae()
    a = np.array([1.0, -0.5, 0.25], np.float32)
    conditional = NoiseContrastiveConditional(hvae.conditional_prior, LinearInZ(a),
                                              num_proposals=400, proposal_chunk_size=150)
    context = hvae.conditional_prior_encoder(
        np.tile(np.random.RandomState(0).randn(1, LATENT_DIM).astype("float32"), [3000, 1]))
    conditional.build(context.shape)
    z1, _ = conditional.sample_and_log_prob(context, 1, seed=tf.constant([0, 1], tf.int64))
    mu, scale = (t[0].numpy() for t in hvae.conditional_prior.params(context[:1]))
    samples = z1[0].numpy()
    np.testing.assert_allclose(samples.mean(0), mu + scale ** 2 * a, atol=4 * scale.max() / 50)
    np.testing.assert_allclose(samples.std(0), scale, rtol=0.08)


@pytest.mark.parametrize("sampler", ["sir", "langevin"])
def test_exported_ncp_vae_samples_and_log_likelihood_match_the_model(sampler, tmp_path):
    model = tiny_vae("standard").with_noise_contrastive_prior(
        {"z": random_classifier("c", 3)}, sampler=sampler, num_proposals=300,
        langevin_steps=20)
    model.estimate_log_normalizer(10_000, 5000, seed=0)
    loaded = tf.saved_model.load(export.export_model(model, str(tmp_path), "ncp"))
    sample = loaded.signatures["sample"](num_samples=tf.constant(6), seed=tf.constant(5, tf.int64))
    expected = model.sample(6, seed=5)
    np.testing.assert_allclose(sample["z"], expected["z"], atol=1e-5)
    np.testing.assert_array_equal(sample["x"], expected["x"])
    x = images(3)
    estimates = loaded.signatures["log_likelihood"](x=x, num_samples=tf.constant(150))
    np.testing.assert_allclose(estimates["log_likelihood"],
                               model.importance_estimates(x, 150, 100, seed=0)["log_likelihood"],
                               rtol=1e-5)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

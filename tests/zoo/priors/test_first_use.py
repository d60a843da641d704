"""Every prior builds itself on first use through log_prob, sample or distribution, as calling a
Keras layer does; a VampPrior inside a user's own subclassed VAE trains with model.fit."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.priors import PRIORS, VampPriorConfig, build_prior
from zoo.priors.realnvp import RealNVPPriorConfig

LATENT = 3


def _fresh(name):
    configs = {"vamp": VampPriorConfig(num_components=5), "realnvp": RealNVPPriorConfig(2, (8,))}
    prior = build_prior(name, (LATENT,), configs.get(name), input_shape=(4,))
    if hasattr(prior, "attach_encoder"):
        prior.attach_encoder(lambda u: (u[:, :LATENT], tf.ones_like(u[:, :LATENT])))
    return prior


@pytest.mark.parametrize("name", ["standard", "mog", "vamp", "realnvp", "maf"])
@pytest.mark.parametrize("first_use", ["log_prob", "sample", "distribution"])
def test_a_prior_builds_itself_on_first_use(name, first_use):
    assert name in PRIORS
    prior = _fresh(name)
    assert not prior.built or not prior.weights
    z = np.random.RandomState(0).randn(6, LATENT).astype("float32")
    if first_use == "log_prob":
        assert prior.log_prob(z).shape == (6,)
    elif first_use == "sample":
        assert prior.sample(4, seed=0).shape == (4, LATENT)
    else:
        assert prior.distribution().event_shape == (LATENT,)
    assert prior.built
    # The weights made on first use are the layer's: calling it again makes none.
    count = len(prior.weights)
    np.testing.assert_allclose(prior(z), prior.log_prob(z), rtol=1e-6)
    assert len(prior.weights) == count


class UserVAE(keras.Model):
    """A user's own VAE: its encoder and decoder, the zoo's VampPrior in the KL term."""

    def __init__(self):
        super().__init__()
        self.encoder = keras.layers.Dense(2 * LATENT)
        self.decoder = keras.layers.Dense(4)
        self.prior = build_prior("vamp", (LATENT,), VampPriorConfig(num_components=5),
                                 input_shape=(4,))
        self.prior.attach_encoder(self.posterior)

    def posterior(self, x):
        loc, raw_scale = tf.split(self.encoder(x), 2, axis=-1)
        return loc, tf.nn.softplus(raw_scale) + 1e-3

    def train_step(self, x):
        with tf.GradientTape() as tape:
            loc, scale = self.posterior(x)
            z = loc + scale * tf.random.stateless_normal(tf.shape(loc), [0, 0])
            log_q = tf.reduce_sum(-0.5 * ((z - loc) / scale) ** 2 - tf.math.log(scale)
                                  - 0.5 * np.log(2 * np.pi), -1)
            logits = self.decoder(z)
            log_px = -tf.reduce_sum(
                tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits), -1)
            loss = -tf.reduce_mean(log_px + self.prior.log_prob(z) - log_q)
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        return {"neg_elbo": loss}


def test_a_vampprior_trains_inside_a_users_subclassed_vae():
    x = (np.random.RandomState(0).rand(64, 4) > 0.5).astype("float32")
    model = UserVAE()
    model.encoder.build((None, 4))
    model.decoder.build((None, LATENT))
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    history = model.fit(x, epochs=3, batch_size=16, verbose=0)
    assert model.prior.built
    pseudo_inputs = model.prior.pseudo_inputs
    assert any(v is pseudo_inputs for v in model.trainable_variables)
    initial = keras.initializers.RandomNormal(0.05, 0.01, seed=model.prior.seed)(
        pseudo_inputs.shape)
    assert np.max(np.abs(pseudo_inputs.numpy() - initial.numpy())) > 1e-3   # trained
    losses = history.history["neg_elbo"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

"""Diagonal-Gaussian posterior q(z | x) = N(z; mu(h), diag(sigma(h)^2))."""

import math

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo import random as zoo_random
from zoo.building import ensure_built, he_normal, own_initializer
from zoo.float32 import Float32Layer

tfd = tfp.distributions

__all__ = ["DiagonalGaussianPosterior"]


@keras.saving.register_keras_serializable(package="zoo")
class DiagonalGaussianPosterior(Float32Layer):
    """Maps encoder features to a diagonal Gaussian over a flat latent.

    loc = W_mu h + b_mu;  log sigma^2 = clip(W_v h + b_v, *log_var_range)

    The clip is the VampPrior code's Hardtanh(-6, 2) on the log-variance: it
    keeps sigma in [0.05, 2.7] so that log q stays finite early in training.

    Args:
        latent_dim: number of latent units D.
        log_var_range: (min, max) of the log-variance, or None for no clip.
        kernel_initializer: for both heads, each its own draw (He-normal as in the paper's code).
        seed: seed of the layer's `SeedGenerator` (fresh noise at every call).

    Shapes: features `[..., batch, F]` -> loc, scale `[..., batch, D]`.
    """

    # `params` are q's own parameters (a flow posterior's are its base's).
    gaussian = True

    def __init__(self, latent_dim, log_var_range=(-6.0, 2.0),
                 kernel_initializer=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_dim = int(latent_dim)
        self.log_var_range = (None if log_var_range is None
                              else tuple(float(v) for v in log_var_range))
        self.kernel_initializer = keras.initializers.get(kernel_initializer or he_normal())
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        # Each head its own draw, as in the paper's code.
        self.loc_head = keras.layers.Dense(
            self.latent_dim, kernel_initializer=own_initializer(self.kernel_initializer),
            name="loc", dtype=self.dtype_policy)
        self.log_var_head = keras.layers.Dense(
            self.latent_dim, kernel_initializer=own_initializer(self.kernel_initializer),
            name="log_var", dtype=self.dtype_policy)

    def build(self, features_shape):
        ensure_built(self.loc_head, features_shape)
        ensure_built(self.log_var_head, features_shape)

    def params(self, features):
        """Returns (loc, scale), each `[..., batch, D]`."""
        loc = self.loc_head(features)
        log_var = self.log_var_head(features)
        if self.log_var_range is not None:
            log_var = tf.clip_by_value(log_var, *self.log_var_range)
        return loc, tf.exp(0.5 * log_var)

    def call(self, features):
        return self.params(features)

    def distribution(self, features):
        loc, scale = self.params(features)
        return tfd.Independent(tfd.Normal(loc, scale), reinterpreted_batch_ndims=1)

    def log_prob(self, z, features):
        """log N(z; loc, diag(scale^2)) of `z` `[..., batch, D]`, summed over D: `[..., batch]`.

        The same head serves as a conditional Gaussian p(z1 | z2) of a
        hierarchical model (features computed from z2).
        """
        loc, scale = self.params(features)
        standardized = (tf.convert_to_tensor(z, loc.dtype) - loc) / scale
        return tf.reduce_sum(
            -0.5 * tf.square(standardized) - tf.math.log(scale) - 0.5 * math.log(2 * math.pi),
            axis=-1)

    def sample_and_log_prob(self, features, num_samples=1, seed=None):
        """Reparameterised samples and their log density.

        Args:
            features: `[..., batch, F]` encoder features.
            num_samples: S, a Python int or a scalar int tensor.
            seed: None (the layer's generator), an int, or an int `[2]` tensor.

        Returns:
            z: `[S, ..., batch, D]`, drawn as loc + scale * eps with
                eps = stateless_normal([S, batch, D], seed) (under a strategy,
                this replica's rows of the global batch's draw; see
                `zoo.random.replica_stateless_normal`).
            log_q: `[S, ..., batch]`, log q(z | x) in nats.
        """
        loc, scale = self.params(features)
        seed = zoo_random.as_seed(seed, self.seed_generator)
        shape = tf.concat([[num_samples], tf.shape(loc)], axis=0)
        eps = zoo_random.replica_stateless_normal(shape, seed, batch_axis=-2, dtype=loc.dtype)
        z = loc + scale * eps
        # log N(z; loc, scale) written in eps: the same function of (eps, loc,
        # scale) as (z - loc) / scale, so the same gradients, without the
        # cancellation in z - loc.
        log_q = tf.reduce_sum(
            -0.5 * tf.square(eps) - tf.math.log(scale) - 0.5 * math.log(2 * math.pi),
            axis=-1)
        return z, log_q

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_dim=self.latent_dim,
            log_var_range=(None if self.log_var_range is None
                           else list(self.log_var_range)),
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            seed=self.seed)
        return config

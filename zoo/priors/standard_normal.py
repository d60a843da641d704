"""The standard normal prior p(z) = N(z; 0, I)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo import random as zoo_random
from zoo.priors.prior import Prior

tfd = tfp.distributions

__all__ = ["StandardNormalPrior"]


@keras.saving.register_keras_serializable(package="zoo")
class StandardNormalPrior(Prior):
    """Isotropic unit Gaussian over `latent_shape`; no weights.

    log p(z) = -0.5 * sum_i (z_i^2 + log(2 pi))   [nats]
    """

    def __init__(self, latent_shape, seed=None, **kwargs):
        super().__init__(latent_shape, **kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def distribution(self):
        zeros = tf.zeros(self.latent_shape, self.compute_dtype)
        return tfd.Independent(tfd.Normal(zeros, 1.0),
                               reinterpreted_batch_ndims=self.event_rank)

    def log_prob(self, z):
        return self.distribution().log_prob(tf.cast(z, self.compute_dtype))

    def sample(self, num_samples, seed=None):
        seed = zoo_random.as_seed(seed, self.seed_generator)
        shape = tf.concat([[num_samples], self.latent_shape], axis=0)
        return tf.random.stateless_normal(shape, seed, dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed)
        return config

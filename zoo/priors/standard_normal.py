"""The standard normal prior p(z) = N(z; 0, I)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.priors.prior import Prior

tfd = tfp.distributions

__all__ = ["StandardNormalPrior"]


@keras.saving.register_keras_serializable(package="zoo")
class StandardNormalPrior(Prior):
    """Isotropic unit Gaussian over `latent_shape`; no weights.

    log p(z) = -0.5 * sum_i (z_i^2 + log(2 pi))   [nats]
    """

    def build_distribution(self):
        zeros = tf.zeros(self.latent_shape, self.compute_dtype)
        return tfd.Independent(tfd.Normal(zeros, 1.0),
                               reinterpreted_batch_ndims=self.event_rank)

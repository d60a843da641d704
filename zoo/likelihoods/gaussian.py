"""Diagonal-Gaussian likelihood for real-valued data."""

import math

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.likelihoods.likelihood import Likelihood

__all__ = ["GaussianLikelihood"]


@keras.saving.register_keras_serializable(package="zoo")
class GaussianLikelihood(Likelihood):
    """p(x | z) = N(x; m(z), diag(sigma^2)) with one learned log sigma per dimension.

    log p(x | z) = sum_i [-0.5 ((x_i - m_i) / sigma_i)^2 - log sigma_i - 0.5 log(2 pi)]

    Args:
        event_shape: shape of one data point.
        log_scale_init: initial log sigma (the same for every dimension).
        trainable_scale: whether log sigma is learned.
    """

    def __init__(self, event_shape, log_scale_init=0.0, trainable_scale=True,
                 seed=None, **kwargs):
        super().__init__(event_shape, **kwargs)
        self.log_scale_init = float(log_scale_init)
        self.trainable_scale = bool(trainable_scale)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def build(self, features_shape):
        super().build(features_shape)
        self.log_scale = self.add_weight(
            shape=self.event_shape, name="log_scale",
            initializer=keras.initializers.Constant(self.log_scale_init),
            trainable=self.trainable_scale)

    def mean(self, features):
        return self.params(features)[..., 0]

    def parameters(self, features):
        loc = self.mean(features)
        return {"loc": loc, "scale": tf.broadcast_to(
            tf.exp(tf.cast(self.log_scale, loc.dtype)), tf.shape(loc))}

    def log_prob(self, x, features):
        loc = self.mean(features)
        log_scale = tf.cast(self.log_scale, loc.dtype)
        z = (tf.cast(x, loc.dtype) - loc) * tf.exp(-log_scale)
        return self._sum_event(
            -0.5 * tf.square(z) - log_scale - 0.5 * math.log(2 * math.pi))

    def sample(self, features, seed=None):
        loc = self.mean(features)
        seed = zoo_random.as_seed(seed, self.seed_generator)
        eps = tf.random.stateless_normal(tf.shape(loc), seed, dtype=loc.dtype)
        return loc + tf.exp(tf.cast(self.log_scale, loc.dtype)) * eps

    def get_config(self):
        config = super().get_config()
        config.update(log_scale_init=self.log_scale_init,
                      trainable_scale=self.trainable_scale, seed=self.seed)
        return config

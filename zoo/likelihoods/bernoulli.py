"""Bernoulli likelihood for binary images, parameterised by logits."""

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.likelihoods.likelihood import Likelihood

__all__ = ["BernoulliLikelihood"]


@keras.saving.register_keras_serializable(package="zoo")
class BernoulliLikelihood(Likelihood):
    """p(x | z) = prod_i Bernoulli(x_i; sigmoid(l_i(z))).

    log p(x | z) = sum_i [x_i * l_i - softplus(l_i)]   [nats]

    computed as `-sigmoid_cross_entropy_with_logits`, which is exact for any
    logit (no clamping of probabilities as in some reference code).
    """

    value_range = (0.0, 1.0)
    pixels = ("binary", "dynamic")
    support_description = "binary values, 0 or 1"

    def __init__(self, event_shape, seed=None, **kwargs):
        super().__init__(event_shape, **kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def logits(self, features):
        return self.params(features)[..., 0]

    def log_prob(self, x, features):
        logits = self.logits(features)
        x = tf.broadcast_to(tf.cast(x, logits.dtype), tf.shape(logits))
        return -self._sum_event(
            tf.nn.sigmoid_cross_entropy_with_logits(labels=x, logits=logits))

    def mean(self, features):
        return tf.sigmoid(self.logits(features))

    def parameters(self, features):
        return {"logits": self.logits(features)}

    def on_support(self, x):
        return tf.reduce_all(tf.logical_or(tf.equal(x, 0.0), tf.equal(x, 1.0)))

    def sample(self, features, seed=None):
        probs = self.mean(features)
        seed = zoo_random.as_seed(seed, self.seed_generator)
        u = tf.random.stateless_uniform(tf.shape(probs), seed, dtype=probs.dtype)
        return tf.cast(u < probs, probs.dtype)

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed)
        return config

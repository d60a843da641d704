"""Mixture of discretized logistics for 8-bit data (Salimans et al., 2017; Kingma et al., 2016)."""

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.likelihoods.likelihood import Likelihood

__all__ = ["DiscretizedLogisticMixtureLikelihood", "log_discretized_logistic"]


def log_discretized_logistic(x, loc, log_scale, num_bins=256):
    """log P(bin of x) under a logistic(loc, exp(log_scale)) discretized into `num_bins` bins.

    x lies on the grid {0, 1/(B-1), ..., 1}; bin k covers x_k +- 1/(2(B-1)),
    except that the first bin takes everything below its upper edge and the
    last everything above its lower edge, so the B probabilities sum to 1.
    With a = (upper - loc) / s and b = (lower - loc) / s (a > b),

        log(sigmoid(a) - sigmoid(b)) = log sigmoid(a) + log sigmoid(-b) + log(1 - exp(b - a)),

    which is exact in float32 for any scale (no clamped difference of CDFs).
    Arguments broadcast; the result has their broadcast shape, in nats.
    """
    half_bin = 0.5 / (num_bins - 1)
    inv_scale = tf.exp(-log_scale)
    a = (x + half_bin - loc) * inv_scale
    b = (x - half_bin - loc) * inv_scale
    log_cdf_a = -tf.nn.softplus(-a)            # log sigmoid(a): the first bin
    log_survival_b = -tf.nn.softplus(b)        # log sigmoid(-b): the last bin
    # 1 - exp(-(a - b)) with a - b = 2 * half_bin / s > 0.
    log_width = tf.math.log(-tf.math.expm1(-2.0 * half_bin * inv_scale))
    interior = log_cdf_a + log_survival_b + log_width
    return tf.where(x < half_bin, log_cdf_a,
                    tf.where(x > 1.0 - half_bin, log_survival_b, interior))


@keras.saving.register_keras_serializable(package="zoo")
class DiscretizedLogisticMixtureLikelihood(Likelihood):
    """p(x | z) = prod_i sum_m w_im DiscretizedLogistic(x_i; mu_im, s_im) for 8-bit data.

    Data are gray levels scaled to [0, 1] (x = k / 255). Per data dimension the
    projection gives, for each of M components, a mixture logit, a location
    and a log-scale (clamped below at -7, as in PixelCNN++); with M = 1 it is
    the plain discretized logistic. The edge bins take the tails.

    Args:
        event_shape: e.g. `(28, 28, 1)`.
        num_components: M.
        num_bins: B, levels of the data (256 for 8 bits).
        seed: of the layer's `SeedGenerator` (sampling).

    Shapes: x `[batch, *event_shape]`; features as for every `Likelihood`;
    `log_prob -> [..., batch]` nats.
    """

    MIN_LOG_SCALE = -7.0
    value_range = (0.0, 1.0)
    pixels = ("gray",)
    # A data value may be off its level k / (B - 1) by float rounding, not more.
    LEVEL_TOLERANCE = 1e-3

    def __init__(self, event_shape, num_components=1, num_bins=256, seed=None, **kwargs):
        super().__init__(event_shape, params_per_dim=3 * int(num_components), **kwargs)
        self.num_components = int(num_components)
        self.num_bins = int(num_bins)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def mixture_params(self, features):
        """(logits, loc, log_scale), each `[..., batch, *event_shape, M]`."""
        logits, loc, log_scale = tf.split(self.params(features), 3, axis=-1)
        return logits, loc, tf.maximum(log_scale, self.MIN_LOG_SCALE)

    @property
    def support_description(self):
        return f"gray levels k / {self.num_bins - 1} for integers k in [0, {self.num_bins - 1}]"

    def on_support(self, x):
        levels = tf.cast(x, tf.float32) * (self.num_bins - 1)
        return tf.reduce_all(
            (tf.abs(levels - tf.round(levels)) <= self.LEVEL_TOLERANCE)
            & (x >= 0.0) & (x <= 1.0))

    def parameters(self, features):
        logits, loc, log_scale = self.mixture_params(features)
        return {"mixture_logits": logits, "loc": loc, "log_scale": log_scale}

    def _log_prob_per_dim(self, x, features):
        logits, loc, log_scale = self.mixture_params(features)
        x = tf.cast(x, loc.dtype)[..., None]
        log_bins = log_discretized_logistic(x, loc, log_scale, self.num_bins)
        return tf.reduce_logsumexp(tf.nn.log_softmax(logits) + log_bins, axis=-1)

    def log_prob(self, x, features):
        return self._sum_event(self._log_prob_per_dim(x, features))

    def bin_probabilities(self, features):
        """P(x_i = k / (B - 1)) for every bin k, `[..., batch, *event_shape, B]`."""
        logits, loc, log_scale = self.mixture_params(features)
        grid = tf.linspace(tf.constant(0.0, loc.dtype), 1.0, self.num_bins)
        log_bins = log_discretized_logistic(grid[:, None], loc[..., None, :],
                                            log_scale[..., None, :], self.num_bins)
        return tf.exp(tf.reduce_logsumexp(
            tf.nn.log_softmax(logits)[..., None, :] + log_bins, axis=-1))

    def mean(self, features):
        """E[x | z], exactly: sum over the B bins of x_k P(x_k)."""
        probs = self.bin_probabilities(features)
        grid = tf.linspace(tf.constant(0.0, probs.dtype), 1.0, self.num_bins)
        return tf.reduce_sum(probs * grid, axis=-1)

    def sample(self, features, seed=None):
        """A component by its weight, a logistic draw, rounded to the grid and clipped."""
        logits, loc, log_scale = self.mixture_params(features)
        seed = zoo_random.as_seed(seed, self.seed_generator)
        gumbel = -tf.math.log(-tf.math.log(tf.random.stateless_uniform(
            tf.shape(logits), zoo_random.fold_in(seed, 0), minval=1e-7, maxval=1.0 - 1e-7,
            dtype=logits.dtype)))
        choice = tf.one_hot(tf.argmax(logits + gumbel, axis=-1), self.num_components,
                            dtype=loc.dtype)
        u = tf.random.stateless_uniform(tf.shape(choice)[:-1], zoo_random.fold_in(seed, 1),
                                        minval=1e-7, maxval=1.0 - 1e-7, dtype=loc.dtype)
        value = (tf.reduce_sum(choice * loc, -1)
                 + tf.exp(tf.reduce_sum(choice * log_scale, -1)) * (tf.math.log(u)
                                                                     - tf.math.log1p(-u)))
        levels = self.num_bins - 1
        return tf.clip_by_value(tf.round(value * levels) / levels, 0.0, 1.0)

    def get_config(self):
        config = super().get_config()
        config.update(num_components=self.num_components, num_bins=self.num_bins,
                      seed=self.seed)
        return config

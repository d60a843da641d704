"""The mixture of diagonal Gaussians that the MoG prior and the VampPrior share."""

import math

import tensorflow as tf
import tensorflow_probability as tfp

tfd = tfp.distributions

__all__ = ["DiagonalGaussianMixture"]


class DiagonalGaussianMixture(tfd.MixtureSameFamily):
    """sum_k softmax(logits)_k N(z; loc_k, diag(scale_k^2)) over a flat latent `[D]`.

    A `tfd.MixtureSameFamily` (sampling picks a component, then samples it)
    whose `log_prob` is computed with two matmuls instead of broadcasting z
    against every component:

        sum_d (z_d - mu_kd)^2 / s_kd^2 = z^2 . (1/s_k^2) - 2 z . (mu_k/s_k^2) + sum_d mu_kd^2/s_kd^2

    That is 7-14x faster than the broadcast for 500 components at 40
    dimensions (10,000 latents, CPU), which dominates the VampPrior's cost at
    evaluation. Its float32 round-off grows with the expanded terms: against
    float64 scipy, 500 components with means N(0, 4), scales in [0.05, 2.7]
    and log densities down to -1400 nats, the error is 5e-4 nats at the
    median and 1e-2 at most (the broadcast: 5e-4 at most).

    Args:
        loc, scale: `[K, D]`.
        logits: `[K]` unnormalised log mixture weights.
    """

    def __init__(self, loc, scale, logits, validate_args=False, name="DiagonalGaussianMixture"):
        parameters = dict(locals())
        self._mixture_loc = tf.convert_to_tensor(loc)
        self._mixture_scale = tf.convert_to_tensor(scale)
        self._mixture_logits = tf.convert_to_tensor(logits)
        super().__init__(
            mixture_distribution=tfd.Categorical(logits=self._mixture_logits),
            components_distribution=tfd.Independent(
                tfd.Normal(self._mixture_loc, self._mixture_scale), reinterpreted_batch_ndims=1),
            validate_args=validate_args, name=name)
        self._parameters = parameters

    @classmethod
    def _parameter_properties(cls, dtype, num_classes=None):
        # The K components are part of one (batchless) distribution.
        return dict(loc=tfp.util.ParameterProperties(event_ndims=2),
                    scale=tfp.util.ParameterProperties(event_ndims=2),
                    logits=tfp.util.ParameterProperties(event_ndims=1))

    def _log_prob(self, z):
        scale = self._mixture_scale
        # Centring both sides on the mean component keeps the expanded terms
        # small, and so their float32 round-off.
        center = tf.reduce_mean(self._mixture_loc, axis=0)
        loc = self._mixture_loc - center                                         # [K, D]
        precision = tf.math.reciprocal(tf.square(scale))                        # [K, D]
        z = tf.convert_to_tensor(z, loc.dtype)
        flat = tf.reshape(z, [-1, loc.shape[-1]]) - center                      # [N, D]
        squared_distance = (
            tf.matmul(tf.square(flat), precision, transpose_b=True)
            - 2.0 * tf.matmul(flat, loc * precision, transpose_b=True)
            + tf.reduce_sum(tf.square(loc) * precision, axis=-1))              # [N, K]
        log_components = (-0.5 * squared_distance
                          - tf.reduce_sum(tf.math.log(scale), axis=-1)
                          - 0.5 * loc.shape[-1] * math.log(2.0 * math.pi))
        log_prob = tf.reduce_logsumexp(
            log_components + tf.nn.log_softmax(self._mixture_logits), axis=-1)
        return tf.reshape(log_prob, tf.shape(z)[:-1])

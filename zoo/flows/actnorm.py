"""Activation normalization (Kingma & Dhariwal, 2018): a per-dimension affine map."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.float32 import Float32Layer

tfb = tfp.bijectors

__all__ = ["ActNorm"]


@keras.saving.register_keras_serializable(package="zoo")
class ActNorm(Float32Layer):
    """eps = (z - loc) * exp(-log_scale), per dimension.

    Starts at the identity; `initialize(h)` sets loc and log_scale to the
    mean and log standard deviation of `h` over its leading axes, so that the
    step's output starts standardized (data-dependent initialization).

    Shapes: `[..., D]` -> `[..., D]`.
    """

    def build(self, input_shape):
        dim = input_shape[-1]
        self.loc = self.add_weight(shape=(dim,), name="loc", initializer="zeros")
        self.log_scale = self.add_weight(shape=(dim,), name="log_scale", initializer="zeros")

    def bijector(self):
        return tfb.Chain([tfb.Scale(log_scale=-tf.convert_to_tensor(self.log_scale)),
                          tfb.Shift(-tf.convert_to_tensor(self.loc))], name="actnorm")

    def forward_and_log_det(self, z):
        """(eps `[..., D]`, log |det d eps / dz| `[...]`) in one pass."""
        log_scale = tf.convert_to_tensor(self.log_scale)
        eps = (z - self.loc) * tf.exp(-log_scale)
        return eps, tf.fill(tf.shape(z)[:-1], -tf.reduce_sum(log_scale))

    def initialize(self, h):
        """Sets loc, log_scale from `h: [..., D]` (eager, cross-replica context)."""
        h = tf.reshape(tf.convert_to_tensor(h, self.loc.dtype), [-1, self.loc.shape[0]])
        mean, variance = tf.nn.moments(h, axes=[0])
        self.loc.assign(mean)
        self.log_scale.assign(0.5 * tf.math.log(variance + 1e-6))

    def call(self, z):
        return self.bijector().forward(z)

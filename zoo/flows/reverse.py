"""Reverses the order of the latent dimensions (between autoregressive steps)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.float32 import Float32Layer

tfb = tfp.bijectors

__all__ = ["Reverse"]


@keras.saving.register_keras_serializable(package="zoo")
class Reverse(Float32Layer):
    """eps_i = z_{D+1-i}; volume preserving, no weights. Shapes: `[..., D]` -> `[..., D]`."""

    def build(self, input_shape):
        self.dim = int(input_shape[-1])

    def bijector(self):
        return tfb.Permute(list(range(self.dim - 1, -1, -1)))

    def forward_and_log_det(self, z):
        """(eps `[..., D]`, 0 `[...]`): volume preserving."""
        return tf.reverse(z, axis=[-1]), tf.zeros(tf.shape(z)[:-1], z.dtype)

    def call(self, z):
        return self.bijector().forward(z)

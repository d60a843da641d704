"""Invertible dense layer, LU-parameterised (Kingma & Dhariwal, 2018)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.float32 import Float32Layer

tfb = tfp.bijectors

__all__ = ["InvertibleDense"]


@keras.saving.register_keras_serializable(package="zoo")
class InvertibleDense(Float32Layer):
    """eps = W z with W = P L U (TFP's `ScaleMatvecLU`).

    `lower_upper` packs the unit-lower L and the upper U; log|det W| is
    sum log|diag U|, so the step costs O(D^2) per example. It starts from a
    random rotation (orthogonal, seeded); the permutation P is fixed.

    Args:
        seed: seed of the initial rotation.

    Shapes: `[..., D]` -> `[..., D]`.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed

    def build(self, input_shape):
        dim = input_shape[-1]
        rotation = keras.initializers.Orthogonal(seed=self.seed)((dim, dim))
        lower_upper, permutation = tf.linalg.lu(tf.convert_to_tensor(rotation))
        self.lower_upper = self.add_weight(
            shape=(dim, dim), name="lower_upper",
            initializer=lambda shape, dtype: tf.cast(lower_upper, dtype))
        self.permutation = self.add_weight(
            shape=(dim,), name="permutation", dtype="int32", trainable=False,
            initializer=lambda shape, dtype: tf.cast(permutation, dtype))

    def bijector(self):
        return tfb.ScaleMatvecLU(tf.convert_to_tensor(self.lower_upper),
                                 tf.convert_to_tensor(self.permutation))

    def forward_and_log_det(self, z):
        """(eps = W z `[..., D]`, log |det W| `[...]`), as `ScaleMatvecLU` computes them.

        One `[N, D] x [D, D]` matmul: `tf.linalg.matvec`, which the bijector
        uses, broadcasts W to a batch of N matrix-vector products.
        """
        lower_upper = tf.convert_to_tensor(self.lower_upper)
        w = tf.linalg.lu_reconstruct(lower_upper, tf.convert_to_tensor(self.permutation))
        log_det = tf.reduce_sum(tf.math.log(tf.abs(tf.linalg.diag_part(lower_upper))))
        eps = tf.reshape(tf.matmul(tf.reshape(z, [-1, tf.shape(w)[0]]), w, transpose_b=True),
                         tf.shape(z))
        return eps, tf.fill(tf.shape(z)[:-1], log_det)

    def call(self, z):
        return self.bijector().forward(z)

    def get_config(self):
        config = super().get_config()
        config.update(seed=self.seed)
        return config

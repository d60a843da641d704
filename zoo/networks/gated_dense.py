"""Gated dense layer (Dauphin et al. 2017), as used by the VampPrior paper."""

import keras
import tensorflow as tf

from zoo.building import ensure_built

__all__ = ["GatedDense"]


@keras.saving.register_keras_serializable(package="zoo")
class GatedDense(keras.layers.Layer):
    """h = (W_h x + b_h) * sigmoid(W_g x + b_g).

    Both halves come from one matmul with a `[in, 2 * units]` kernel, which is
    the same function as two Dense layers and half the kernel launches.

    Shapes: `[..., in]` -> `[..., units]`.
    """

    def __init__(self, units, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.kernel_initializer = keras.initializers.get(
            kernel_initializer or keras.initializers.VarianceScaling(
                2.0, "fan_in", "untruncated_normal"))
        self.dense = keras.layers.Dense(
            2 * self.units, kernel_initializer=self.kernel_initializer,
            name="dense")

    def build(self, input_shape):
        ensure_built(self.dense, input_shape)

    def call(self, x):
        h, g = tf.split(self.dense(x), 2, axis=-1)
        return h * tf.sigmoid(g)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config

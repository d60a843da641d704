"""Gated dense layer (Dauphin et al. 2017), as used by the VampPrior paper."""

import keras
import tensorflow as tf

from zoo.building import ensure_built, he_normal

__all__ = ["GatedDense"]


@keras.saving.register_keras_serializable(package="zoo")
class GatedDense(keras.layers.Layer):
    """h = (W_h x + b_h) * sigmoid(W_g x + b_g).

    `h` and `g` are two Dense layers, as in the paper's code, rather than one
    fused `[in, 2 * units]` kernel: optimizers that act per weight tensor (the
    paper's AdamNormGrad normalizes each tensor's gradient) must see the same
    tensors as the original to train the same way.

    Shapes: `[..., in]` -> `[..., units]`.
    """

    def __init__(self, units, kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.kernel_initializer = keras.initializers.get(kernel_initializer or he_normal())
        self.h = keras.layers.Dense(self.units, kernel_initializer=self.kernel_initializer,
                                    name="h")
        self.g = keras.layers.Dense(self.units, kernel_initializer=self.kernel_initializer,
                                    name="g")

    def build(self, input_shape):
        ensure_built(self.h, input_shape)
        ensure_built(self.g, input_shape)

    def call(self, x):
        return self.h(x) * tf.sigmoid(self.g(x))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config

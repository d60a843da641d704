"""Layers applied one after the other, as one serializable layer that may take several inputs."""

import keras
import tensorflow as tf

from zoo.building import ensure_built
from zoo.float32 import Float32Layer

__all__ = ["Sequence", "ToImage"]


@keras.saving.register_keras_serializable(package="zoo")
class Sequence(Float32Layer):
    """layers[-1](... layers[0](inputs)); the first layer may take a list of inputs.

    (`keras.Sequential` needs a single input tensor; the two-level decoders
    start from [z1, z2].)
    """

    def __init__(self, layers, **kwargs):
        super().__init__(**kwargs)
        self.layers = [keras.saving.deserialize_keras_object(layer) if isinstance(layer, dict)
                       else layer for layer in layers]

    def build(self, input_shape):
        shape = input_shape
        for layer in self.layers:
            ensure_built(layer, shape)
            shape = layer.compute_output_shape(shape)

    def call(self, inputs):
        for layer in self.layers:
            inputs = layer(inputs)
        return inputs

    def compute_output_shape(self, input_shape):
        for layer in self.layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self):
        config = super().get_config()
        config["layers"] = [keras.saving.serialize_keras_object(layer) for layer in self.layers]
        return config


@keras.saving.register_keras_serializable(package="zoo")
class ToImage(Float32Layer):
    """`[..., H * W * C]` -> `[..., H, W, C]`."""

    def __init__(self, image_shape, **kwargs):
        super().__init__(**kwargs)
        self.image_shape = tuple(int(d) for d in image_shape)

    def call(self, x):
        return tf.reshape(x, tf.concat([tf.shape(x)[:-1], self.image_shape], axis=0))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + self.image_shape

    def get_config(self):
        return dict(super().get_config(), image_shape=list(self.image_shape))

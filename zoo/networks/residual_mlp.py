"""A residual MLP with one output unit: the default classifier of noise-contrastive priors."""

import keras
import tensorflow as tf

from zoo.building import ensure_built
from zoo.float32 import Float32Layer

__all__ = ["ResidualMLP"]


@keras.saving.register_keras_serializable(package="zoo")
class ResidualMLP(Float32Layer):
    """x -> Dense(units) -> num_blocks x [h + Dense(act(Dense(act(h))))] -> act -> Dense(outputs).

    Pre-activation residual blocks of two dense layers (He et al. 2016) on
    dense inputs. Called on a list of tensors, it concatenates them on the
    last axis first (a latent and its context, `[z, c(z_<k)]`).

    Args:
        units: width of the hidden layers.
        num_blocks: residual blocks (0: one hidden layer).
        activation: a Keras activation name.
        outputs: output units (1: a classifier's logit).

    Shapes: `[..., D]` (or a list `[..., D_i]`) -> `[..., outputs]`.
    """

    def __init__(self, units=256, num_blocks=2, activation="swish", outputs=1, **kwargs):
        super().__init__(**kwargs)
        self.units = int(units)
        self.num_blocks = int(num_blocks)
        self.activation = activation
        self.outputs = int(outputs)
        self.act = keras.activations.get(activation)
        dense = lambda name: keras.layers.Dense(self.units, name=name, dtype=self.dtype_policy)
        self.input_layer = dense("input")
        self.blocks = [(dense(f"block_{i}_a"), dense(f"block_{i}_b"))
                       for i in range(self.num_blocks)]
        # Zero-initialized head: the classifier starts at D = 1/2, log r = 0.
        self.output_layer = keras.layers.Dense(self.outputs, kernel_initializer="zeros",
                                               name="output", dtype=self.dtype_policy)

    def build(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(
                input_shape[0], (list, tuple)):
            input_shape = tuple(input_shape[0][:-1]) + (sum(s[-1] for s in input_shape),)
        hidden = tuple(input_shape[:-1]) + (self.units,)
        ensure_built(self.input_layer, input_shape)
        for first, second in self.blocks:
            ensure_built(first, hidden)
            ensure_built(second, hidden)
        ensure_built(self.output_layer, hidden)

    def call(self, inputs):
        if isinstance(inputs, (list, tuple)):
            inputs = tf.concat(list(inputs), axis=-1)
        h = self.input_layer(inputs)
        for first, second in self.blocks:
            h = h + second(self.act(first(self.act(h))))
        return self.output_layer(self.act(h))

    def compute_output_shape(self, input_shape):
        if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(
                input_shape[0], (list, tuple)):
            input_shape = input_shape[0]
        return tuple(input_shape[:-1]) + (self.outputs,)

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units, num_blocks=self.num_blocks, activation=self.activation,
                      outputs=self.outputs)
        return config

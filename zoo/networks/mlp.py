"""A stack of dense layers with one activation, on flattened inputs."""

import keras

from zoo.building import ensure_built
from zoo.float32 import Float32Layer
from zoo.networks.flatten import flatten_trailing, flattened_shape

__all__ = ["MLP"]


@keras.saving.register_keras_serializable(package="zoo")
class MLP(Float32Layer):
    """Flattens the trailing `input_rank` axes, then applies `Dense(u, activation)` layers.

    The encoder and decoder of the VAEs in LARS (Bauer & Mnih 2019) and SNIS
    (Lawson et al. 2019), which NCP-VAE (Aneja et al. 2021, Table 2) reuses:
    two layers of 300 tanh units. Glorot-uniform weights (Keras's default).

    Args:
        units: widths of the layers, e.g. `(300, 300)`.
        activation: a Keras activation name.
        input_rank: number of trailing axes that form one input (3 for images
            `[H, W, C]`, 1 for latents `[D]`); leading axes are kept.

    Shapes: `[..., *input_shape]` -> `[..., units[-1]]`.
    """

    def __init__(self, units=(300, 300), activation="tanh", input_rank=1, **kwargs):
        super().__init__(**kwargs)
        self.units = tuple(int(u) for u in units)
        if not self.units:
            raise ValueError("MLP needs at least one layer; got units=().")
        self.activation = activation
        self.input_rank = int(input_rank)
        self.dense_layers = [keras.layers.Dense(u, activation=activation, name=f"dense_{i}",
                                               dtype=self.dtype_policy)
                             for i, u in enumerate(self.units)]

    def build(self, input_shape):
        shape = flattened_shape(input_shape, self.input_rank)
        for layer in self.dense_layers:
            ensure_built(layer, shape)
            shape = layer.compute_output_shape(shape)

    def call(self, x):
        x = flatten_trailing(x, self.input_rank)
        for layer in self.dense_layers:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:len(input_shape) - self.input_rank]) + (self.units[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(units=list(self.units), activation=self.activation,
                      input_rank=self.input_rank)
        return config

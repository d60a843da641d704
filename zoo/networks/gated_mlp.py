"""A stack of gated dense layers on flattened inputs."""

import keras

from zoo.building import ensure_built
from zoo.float32 import Float32Layer
from zoo.networks.flatten import flatten_trailing, flattened_shape
from zoo.networks.gated_dense import GatedDense

__all__ = ["GatedMLP"]


@keras.saving.register_keras_serializable(package="zoo")
class GatedMLP(Float32Layer):
    """Flattens the trailing `input_rank` axes, then applies `GatedDense` layers.

    The VampPrior paper's encoder and decoder: two gated layers of 300 units.

    Args:
        units: widths of the gated layers, e.g. `(300, 300)`.
        input_rank: number of trailing axes that form one input (3 for images
            `[H, W, C]`, 1 for latents `[D]`); leading axes are kept.

    Shapes: `[..., *input_shape]` -> `[..., units[-1]]`.
    """

    def __init__(self, units=(300, 300), input_rank=1, **kwargs):
        super().__init__(**kwargs)
        self.units = tuple(int(u) for u in units)
        self.input_rank = int(input_rank)
        self.gated_layers = [GatedDense(u, name=f"gated_dense_{i}")
                             for i, u in enumerate(self.units)]

    def build(self, input_shape):
        shape = flattened_shape(input_shape, self.input_rank)
        for layer in self.gated_layers:
            ensure_built(layer, shape)
            shape = layer.compute_output_shape(shape)

    def call(self, x):
        x = flatten_trailing(x, self.input_rank)
        for layer in self.gated_layers:
            x = layer(x)
        return x

    def call_on_parts(self, parts):
        """The network on `concat(parts, axis=-1)`, the first layer taking the parts apart
        (`GatedDense.call_on_parts`), so a part broadcast over leading axes is multiplied
        once. For feature vectors (`input_rank` 1).

        Shapes: parts `[..., in_i]` with sum in_i = in -> `[broadcast leading axes, units[-1]]`.
        """
        if self.input_rank != 1:
            raise ValueError(f"{self.name} takes its input in parts only for input_rank 1; "
                             f"it has input_rank {self.input_rank}.")
        first, *rest = self.gated_layers
        x = first.call_on_parts(parts)
        for layer in rest:
            x = layer(x)
        return x

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:len(input_shape) - self.input_rank]) + (self.units[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(units=list(self.units), input_rank=self.input_rank)
        return config

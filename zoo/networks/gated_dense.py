"""Gated dense layer (Dauphin et al. 2017), as used by the VampPrior paper."""

import keras
import tensorflow as tf

from zoo.building import ensure_built, he_normal, own_initializer
from zoo.float32 import Float32Layer

__all__ = ["GatedDense"]


@keras.saving.register_keras_serializable(package="zoo")
class GatedDense(Float32Layer):
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
        # Each kernel its own draw, as in the paper's code (two nn.Linear).
        self.h = keras.layers.Dense(self.units,
                                    kernel_initializer=own_initializer(self.kernel_initializer),
                                    name="h", dtype=self.dtype_policy)
        self.g = keras.layers.Dense(self.units,
                                    kernel_initializer=own_initializer(self.kernel_initializer),
                                    name="g", dtype=self.dtype_policy)

    def build(self, input_shape):
        ensure_built(self.h, input_shape)
        ensure_built(self.g, input_shape)

    def call(self, x):
        return self.h(x) * tf.sigmoid(self.g(x))

    def call_on_parts(self, parts):
        """The layer on `concat(parts, axis=-1)`, the parts' leading axes broadcasting together.

        Each part meets its own rows of the kernels, concat(a, b) W = a W_a + b W_b,
        so a part with fewer leading axes is multiplied once rather than once per
        entry of the axes it would be broadcast over (an image's features against
        S samples of a latent in the IS evaluation). Equal to `call` on the
        broadcast concatenation up to float32 round-off.

        Shapes: parts `[..., in_i]` with sum in_i = in -> `[broadcast leading axes, units]`.
        """
        widths = [part.shape[-1] for part in parts]
        if sum(widths) != self.h.kernel.shape[0]:
            raise ValueError(f"{self.name} takes {self.h.kernel.shape[0]} input features; "
                             f"the parts have {widths}.")
        return _dense_on_parts(self.h, parts) * tf.sigmoid(_dense_on_parts(self.g, parts))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config


def _dense_on_parts(dense, parts):
    """sum_i parts[i] @ (part i's rows of `dense.kernel`) + bias, broadcast over leading axes."""
    total, start = None, 0
    for part in parts:
        width = part.shape[-1]
        flat = tf.matmul(tf.reshape(part, [-1, width]), dense.kernel[start:start + width])
        term = tf.reshape(flat, tf.concat([tf.shape(part)[:-1], [dense.units]], axis=0))
        total = term if total is None else total + term
        start += width
    return total + dense.bias

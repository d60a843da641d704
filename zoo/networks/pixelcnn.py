"""PixelCNN layers: masked convolutions (mask A, then B), gated, optionally residual."""

import keras
import numpy as np
import tensorflow as tf

from zoo.building import ensure_built, he_normal
from zoo.float32 import Float32Layer

__all__ = ["MaskedConv2D", "PixelCNN", "masked_conv_offsets", "receptive_field_offsets"]


def masked_conv_offsets(kernel_size, mask_type):
    """The (dy, dx) input offsets a masked k x k convolution sees, relative to its output pixel.

    Mask A (the first layer) sees the rows above and the pixels to the left:
    dy < 0, or dy == 0 and dx < 0. Mask B (later layers) also sees the pixel
    itself, which by then holds only information from before it.
    """
    r = kernel_size // 2
    offsets = {(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)
               if dy < 0 or (dy == 0 and dx < 0)}
    if mask_type == "B":
        offsets.add((0, 0))
    return offsets


def receptive_field_offsets(num_layers, kernel_size):
    """The input offsets that reach one output pixel of a `PixelCNN` (1x1 layers add none).

    Sums of one mask-A offset and `num_layers - 1` mask-B offsets. Stacks of
    such masks have the known blind spot up and to the right, which this set
    leaves out: it is exactly where the gradient of an output is non-zero.
    """
    field = masked_conv_offsets(kernel_size, "A")
    step = masked_conv_offsets(kernel_size, "B")
    for _ in range(num_layers - 1):
        field = {(a + c, b + d) for a, b in field for c, d in step}
    return field


def _spatial_mask(kernel_size, mask_type):
    """`[k, k, 1, 1]` 0/1: the kernel taps a masked convolution keeps (the same for every
    channel pair, so it broadcasts over `[k, k, in, out]` and a traced graph stores k * k
    numbers, not the full kernel's shape)."""
    mask = np.zeros((kernel_size, kernel_size, 1, 1), np.float32)
    r = kernel_size // 2
    for dy, dx in masked_conv_offsets(kernel_size, mask_type):
        mask[r + dy, r + dx] = 1.0
    return mask


@keras.saving.register_keras_serializable(package="zoo")
class MaskedConv2D(Float32Layer):
    """A "same" k x k convolution, kernel zero at and after the centre (mask A) or after it (B).

    For one-channel images: every input channel (the image and any
    conditioning maps) is masked alike, as in the VampPrior code's PixelCNN.

    Shapes: `[N, H, W, C_in]` -> `[N, H, W, filters]`.
    """

    def __init__(self, filters, kernel_size=3, mask_type="B", **kwargs):
        super().__init__(**kwargs)
        if mask_type not in ("A", "B"):
            raise ValueError(f"mask_type must be 'A' or 'B'; got {mask_type!r}.")
        if kernel_size % 2 != 1:
            raise ValueError(f"kernel_size must be odd; got {kernel_size}.")
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.mask_type = mask_type

    def build(self, input_shape):
        in_channels = int(input_shape[-1])
        self.mask = _spatial_mask(self.kernel_size, self.mask_type)
        self.kernel = self.add_weight(
            shape=(self.kernel_size, self.kernel_size, in_channels, self.filters),
            name="kernel", initializer=he_normal())
        self.bias = self.add_weight(shape=(self.filters,), name="bias", initializer="zeros")

    def call(self, x):
        kernel = self.kernel * tf.constant(self.mask, self.kernel.dtype)
        return tf.nn.conv2d(x, kernel, strides=1, padding="SAME") + self.bias

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.filters,)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size,
                      mask_type=self.mask_type)
        return config


@keras.saving.register_keras_serializable(package="zoo")
class PixelCNN(Float32Layer):
    """Gated masked convolutions: output pixel i is a function of input pixels before i.

        h = gate(MaskedConv_A(x))                          (layer 1)
        h = gate(MaskedConv_B(h))            or, residual: h = h + Conv1x1(gate(MaskedConv_B(h)))
        out = Conv1x1(relu(h))                              (`outputs` channels)

    gate(a) = tanh(a_1) * sigmoid(a_2) over the two halves of 2 * filters
    channels (van den Oord et al. 2016). `num_layers` masked k x k layers see
    `receptive_field_offsets(num_layers, kernel_size)`: the rows up to
    num_layers * (k // 2) above, in the usual cone with its blind spot.
    The VampPrior paper's PixelHVAE: 8 layers of 64 filters; VLAE: 6 layers of
    12 filters in residual blocks with 1x1 convolutions between.

    Args:
        num_layers: masked layers (>= 1).
        filters: channels of each masked layer's gated output.
        kernel_size: k, odd.
        residual: residual blocks after the first layer.
        outputs: channels of the output (e.g. one Bernoulli logit per pixel).

    Shapes: `[N, H, W, C_in]` (the image and any conditioning maps, concatenated)
    -> `[N, H, W, outputs]`.
    """

    def __init__(self, num_layers=8, filters=64, kernel_size=3, residual=False, outputs=1,
                 **kwargs):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"num_layers must be at least 1; got {num_layers}.")
        self.num_layers = int(num_layers)
        self.filters = int(filters)
        self.kernel_size = int(kernel_size)
        self.residual = bool(residual)
        self.outputs = int(outputs)
        self.masked_layers = [
            MaskedConv2D(2 * self.filters, self.kernel_size, "A" if i == 0 else "B",
                         name=f"masked_{i}") for i in range(self.num_layers)]
        self.block_outputs = ([keras.layers.Conv2D(self.filters, 1, name=f"block_{i}",
                                                   dtype=self.dtype_policy)
                               for i in range(1, self.num_layers)] if self.residual else [])
        self.output_layer = keras.layers.Conv2D(self.outputs, 1, name="output",
                                                dtype=self.dtype_policy)

    @property
    def receptive_field(self):
        """The input offsets (dy, dx) that reach an output pixel."""
        return receptive_field_offsets(self.num_layers, self.kernel_size)

    def build(self, input_shape):
        shape = tuple(input_shape)
        hidden = shape[:-1] + (self.filters,)
        ensure_built(self.masked_layers[0], shape)
        for layer in self.masked_layers[1:]:
            ensure_built(layer, hidden)
        for layer in self.block_outputs:
            ensure_built(layer, hidden)
        ensure_built(self.output_layer, hidden)

    @staticmethod
    def _gate(a):
        first, second = tf.split(a, 2, axis=-1)
        return tf.tanh(first) * tf.sigmoid(second)

    def call(self, x):
        h = self._gate(self.masked_layers[0](x))
        for i, layer in enumerate(self.masked_layers[1:]):
            if self.residual:
                h = h + self.block_outputs[i](self._gate(layer(h)))
            else:
                h = self._gate(layer(h))
        return self.output_layer(tf.nn.relu(h))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.outputs,)

    def get_config(self):
        config = super().get_config()
        config.update(num_layers=self.num_layers, filters=self.filters,
                      kernel_size=self.kernel_size, residual=self.residual,
                      outputs=self.outputs)
        return config

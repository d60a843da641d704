"""Convolutional encoders and decoders, residual or plain (Xu et al. 2019's ResnetVAE and ConvVAE,
the IAF paper's and VLAE's ResNet VAE, LED's ResConv)."""

import math

import keras
import tensorflow as tf

from zoo.building import ensure_built, he_normal
from zoo.errors import ImageShapeError
from zoo.float32 import Float32Layer

__all__ = ["ConvBlock", "ResNetDecoder", "ResNetEncoder", "ResidualBlock"]


def _conv(filters, kernel_size, strides, transpose, name, dtype, kernel_initializer=None):
    conv_class = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    return conv_class(filters, kernel_size, strides, padding="same",
                      kernel_initializer=kernel_initializer or he_normal(), name=name,
                      dtype=dtype)


@keras.saving.register_keras_serializable(package="zoo")
class ConvBlock(Float32Layer):
    """conv(act(x)): one pre-activated 3x3 convolution; it changes the channels, applies the stride.

    The blocks of Xu et al.'s ConvVAE (the ResnetVAE's stacks without the
    residual connections), and the output half of `ResidualBlock`. With
    `transpose` the convolution is transposed, so a stride of 2 doubles the
    height and width instead of halving them.

    Shapes: `[N, H, W, C]` -> `[N, H / s, W / s, filters]` (rounded up), or
    `[N, H * s, W * s, filters]` with `transpose`.
    """

    def __init__(self, filters, strides=1, transpose=False, activation="elu", kernel_size=3,
                 conv_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.strides = int(filters), int(strides)
        self.transpose, self.kernel_size = bool(transpose), int(kernel_size)
        self.activation = keras.activations.get(activation)
        self.conv = _conv(self.filters, self.kernel_size, self.strides, self.transpose, "conv",
                          self.dtype_policy, kernel_initializer=conv_initializer)

    def build(self, input_shape):
        ensure_built(self.conv, input_shape)

    def call(self, x):
        return self.conv(self.activation(x))

    def compute_output_shape(self, input_shape):
        return tuple(self.conv.compute_output_shape(tuple(input_shape)))

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, strides=self.strides, transpose=self.transpose,
                      activation=keras.activations.serialize(self.activation),
                      kernel_size=self.kernel_size)
        return config


@keras.saving.register_keras_serializable(package="zoo")
class ResidualBlock(ConvBlock):
    """shortcut(x) + conv(act(conv1(act(x)))): a pre-activation residual block (He et al. 2016).

    conv1 keeps the channels (3x3, stride 1); conv, the `ConvBlock`'s, changes
    them to `filters` and applies the stride, as in Xu et al.'s
    `resnet_block`. The shortcut is the identity when the shape is kept,
    otherwise a 1x1 convolution with the same stride (transposed with
    `transpose`).

    conv starts at zero, so that every block starts as its shortcut and the
    scale of the activations does not grow with depth: the papers' networks
    have batch or weight normalization for that, which Keras 3 lacks in the
    weight-normalized form (Goyal et al. 2017 and Fixup, Zhang et al. 2019,
    start residual branches at zero the same way).

    Shapes: as `ConvBlock`.
    """

    def __init__(self, filters, strides=1, transpose=False, activation="elu", kernel_size=3,
                 **kwargs):
        super().__init__(filters, strides, transpose, activation, kernel_size,
                         conv_initializer="zeros", **kwargs)
        self.conv1 = None
        self.shortcut = None

    def build(self, input_shape):
        channels = int(input_shape[-1])
        if self.conv1 is None:
            self.conv1 = _conv(channels, self.kernel_size, 1, False, "conv1", self.dtype_policy)
            if self.strides != 1 or channels != self.filters:
                self.shortcut = _conv(self.filters, 1, self.strides, self.transpose, "shortcut",
                                      self.dtype_policy)
        ensure_built(self.conv1, input_shape)
        super().build(input_shape)
        if self.shortcut is not None:
            ensure_built(self.shortcut, input_shape)

    def call(self, x):
        residual = super().call(self.conv1(self.activation(x)))
        shortcut = x if self.shortcut is None else self.shortcut(x)
        return shortcut + residual


def _blocks(channels, strides, residual, transpose, activation):
    block_class = ResidualBlock if residual else ConvBlock
    return [block_class(c, s, transpose=transpose, activation=activation, name=f"block_{i}")
            for i, (c, s) in enumerate(zip(channels, strides))]


def _check_blocks(channels, strides):
    channels = tuple(int(c) for c in channels)
    strides = tuple(int(s) for s in strides)
    if not channels or len(channels) != len(strides):
        raise ValueError(f"channels and strides need one entry per residual block; got "
                         f"{channels} and {strides}.")
    if any(s not in (1, 2) for s in strides):
        raise ValueError(f"Residual block strides are 1 or 2; got {strides}.")
    return channels, strides


@keras.saving.register_keras_serializable(package="zoo")
class ResNetEncoder(Float32Layer):
    """Residual (or plain) convolution blocks on images, flattened, then optional dense layers.

    x -> block_1 ... block_n -> act -> flatten [-> Dense(u) -> act]...

    Xu et al.'s ResnetVAE encoder: channels 16-32-32-64-64, strides
    1-2-1-2-1 (28 x 28 -> 7 x 7 x 64, 3136 features). LED's ResConv: three
    strided blocks of 16-32-32 (28 x 28 -> 4 x 4 x 32) and one dense layer of
    450.

    Args:
        channels, strides: one entry per block (strides 1 or 2).
        dense_units: widths of the dense layers after the blocks.
        activation: of the blocks and the dense layers.
        residual: `ResidualBlock`s, or `ConvBlock`s (Xu et al.'s ConvVAE).

    Shapes: `[..., H, W, C]` -> `[..., F]`; leading axes are kept.
    """

    def __init__(self, channels, strides, dense_units=(), activation="elu", residual=True,
                 **kwargs):
        super().__init__(**kwargs)
        self.channels, self.strides = _check_blocks(channels, strides)
        self.dense_units = tuple(int(u) for u in dense_units)
        self.activation = keras.activations.get(activation)
        self.residual = bool(residual)
        self.blocks = _blocks(self.channels, self.strides, self.residual, False, self.activation)
        self.dense_layers = [keras.layers.Dense(u, kernel_initializer=he_normal(),
                                                name=f"dense_{i}", dtype=self.dtype_policy)
                             for i, u in enumerate(self.dense_units)]

    def _feature_map_shape(self, input_shape):
        shape = (None,) + tuple(input_shape[-3:])
        for block in self.blocks:
            shape = block.compute_output_shape(shape)
        return shape

    def build(self, input_shape):
        shape = (None,) + tuple(input_shape[-3:])
        for block in self.blocks:
            ensure_built(block, shape)
            shape = block.compute_output_shape(shape)
        shape = (None, math.prod(shape[1:]))
        for layer in self.dense_layers:
            ensure_built(layer, shape)
            shape = layer.compute_output_shape(shape)

    def call(self, x):
        lead = tf.shape(x)[:-3]
        h = tf.reshape(x, tf.concat([[-1], tf.shape(x)[-3:]], axis=0))
        for block in self.blocks:
            h = block(h)
        h = self.activation(h)
        h = tf.reshape(h, [-1, math.prod(h.shape[1:])])
        for layer in self.dense_layers:
            h = self.activation(layer(h))
        return tf.reshape(h, tf.concat([lead, tf.shape(h)[-1:]], axis=0))

    def compute_output_shape(self, input_shape):
        features = (self.dense_units[-1] if self.dense_units
                    else math.prod(self._feature_map_shape(input_shape)[1:]))
        return tuple(input_shape[:-3]) + (features,)

    def get_config(self):
        config = super().get_config()
        config.update(channels=list(self.channels), strides=list(self.strides),
                      dense_units=list(self.dense_units),
                      activation=keras.activations.serialize(self.activation),
                      residual=self.residual)
        return config


@keras.saving.register_keras_serializable(package="zoo")
class ResNetDecoder(Float32Layer):
    """Optional dense layers, a dense map reshaped to a small image, then transposed blocks.

    z [-> Dense(u) -> act]... -> Dense(h * w * channels[0]) -> [h, w, channels[0]]
      -> block_1 ... block_n (transposed; stride 2 doubles the size) -> act

    with h = H / prod(strides), w = W / prod(strides). The output is a
    feature map of the image's height and width; the likelihood's 1x1
    projection turns it into per-pixel parameters (Xu et al.'s
    `feature_map_to_pixel`). Xu et al.'s ResnetVAE decoder: channels
    64-32-32-16, strides 1-2-1-2 from 7 x 7.

    Args:
        image_shape: `[H, W, C]` of the data.
        channels, strides: one entry per block.
        dense_units: widths of the dense layers before the map.
        activation: of the blocks and the dense layers.
        residual: `ResidualBlock`s, or `ConvBlock`s (Xu et al.'s ConvVAE).

    Shapes: `[..., D]` -> `[..., H, W, channels[-1]]`; leading axes are kept.
    """

    def __init__(self, image_shape, channels, strides, dense_units=(), activation="elu",
                 residual=True, **kwargs):
        super().__init__(**kwargs)
        self.residual = bool(residual)
        self.image_shape = tuple(int(d) for d in image_shape)
        self.channels, self.strides = _check_blocks(channels, strides)
        self.dense_units = tuple(int(u) for u in dense_units)
        self.activation = keras.activations.get(activation)
        scale = math.prod(self.strides)
        height, width = self.image_shape[:2]
        if height % scale or width % scale:
            raise ImageShapeError(
                f"height and width must be divisible by {scale} (the decoder's strides "
                f"{self.strides} upsample by {scale}); got {height} x {width}.")
        self.start_shape = (height // scale, width // scale, self.channels[0])
        self.dense_layers = [keras.layers.Dense(u, kernel_initializer=he_normal(),
                                                name=f"dense_{i}", dtype=self.dtype_policy)
                             for i, u in enumerate(self.dense_units)]
        self.to_map = keras.layers.Dense(math.prod(self.start_shape),
                                         kernel_initializer=he_normal(), name="to_map",
                                         dtype=self.dtype_policy)
        self.blocks = _blocks(self.channels, self.strides, self.residual, True, self.activation)

    def build(self, input_shape):
        shape = (None, int(input_shape[-1]))
        for layer in self.dense_layers + [self.to_map]:
            ensure_built(layer, shape)
            shape = layer.compute_output_shape(shape)
        shape = (None,) + self.start_shape
        for block in self.blocks:
            ensure_built(block, shape)
            shape = block.compute_output_shape(shape)

    def call(self, z):
        lead = tf.shape(z)[:-1]
        h = tf.reshape(z, [-1, z.shape[-1]])
        for layer in self.dense_layers:
            h = self.activation(layer(h))
        h = tf.reshape(self.to_map(h), (-1,) + self.start_shape)
        for block in self.blocks:
            h = block(h)
        h = self.activation(h)
        return tf.reshape(h, tf.concat([lead, tf.shape(h)[1:]], axis=0))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + self.image_shape[:2] + (self.channels[-1],)

    def get_config(self):
        config = super().get_config()
        config.update(image_shape=list(self.image_shape), channels=list(self.channels),
                      strides=list(self.strides), dense_units=list(self.dense_units),
                      activation=keras.activations.serialize(self.activation),
                      residual=self.residual)
        return config

"""Gated convolutions (the VampPrior code's GatedConv2d) and stacks of them.

`computing_in(dtype)` lets a training step run its gated convolutions in
bfloat16, where the CPU computes bfloat16 natively: on an AMD EPYC Zen 4
(AVX512_BF16) the ConvHVAE with a VampPrior trains 1.6x faster so
(docs/benchmarks.md). It is the trainer's choice (`TrainConfig.gated_conv_dtype`),
in force only while a step is traced: the model's weights stay float32, and
every value a model answers (its ELBO, log-likelihood, samples) is computed
in float32 (`zoo.float32`).
"""

import contextlib
import threading

import keras
import tensorflow as tf

from zoo.building import ensure_built, he_normal
from zoo.float32 import Float32Layer

__all__ = ["COMPUTE_DTYPES", "GatedConv2D", "GatedConvNet", "checked_compute_dtype", "computing_in"]

COMPUTE_DTYPES = ("float32", "bfloat16")


class _Tracing(threading.local):
    dtype = "float32"     # what GatedConv2D computes in when traced in this thread


_tracing = _Tracing()


def checked_compute_dtype(dtype, name="dtype"):
    """`dtype` if gated convolutions can compute in it (`COMPUTE_DTYPES`).

    Raises:
        ValueError: another dtype; the message calls the setting `name`.
    """
    if dtype not in COMPUTE_DTYPES:
        raise ValueError(f"{name} must be one of {COMPUTE_DTYPES}; got {dtype!r}.")
    return dtype


@contextlib.contextmanager
def computing_in(dtype):
    """`GatedConv2D`s traced inside it compute in `dtype` ("float32" or "bfloat16").

    In bfloat16, a layer casts its input, kernels and biases to bfloat16,
    convolves (float32 accumulation in oneDNN), gates, and casts the result back
    to float32; gradients reach the float32 kernels through the casts. Read at
    trace time: a `tf.function` traced outside it stays float32.

    Raises:
        ValueError: another dtype.
    """
    checked_compute_dtype(dtype)
    previous, _tracing.dtype = _tracing.dtype, dtype
    try:
        yield
    finally:
        _tracing.dtype = previous


@keras.saving.register_keras_serializable(package="zoo")
class GatedConv2D(Float32Layer):
    """h(x) * sigmoid(g(x)), h and g two "same"-padded convolutions (Dauphin et al. 2017).

    Shapes: `[N, H, W, C]` -> `[N, ceil(H / s), ceil(W / s), filters]`.
    """

    def __init__(self, filters, kernel_size, strides=1, **kwargs):
        super().__init__(**kwargs)
        self.filters, self.kernel_size, self.strides = int(filters), int(kernel_size), int(strides)
        conv = lambda name: keras.layers.Conv2D(self.filters, self.kernel_size, self.strides,
                                                padding="same", kernel_initializer=he_normal(),
                                                name=name, dtype=self.dtype_policy)
        self.h, self.g = conv("h"), conv("g")

    def build(self, input_shape):
        ensure_built(self.h, input_shape)
        ensure_built(self.g, input_shape)

    def call(self, x):
        if _tracing.dtype == "bfloat16":
            x = tf.cast(x, tf.bfloat16)
            h, g = (conv.convolution_op(x, tf.cast(conv.kernel, tf.bfloat16))
                    + tf.cast(conv.bias, tf.bfloat16) for conv in (self.h, self.g))
            return tf.cast(h * tf.sigmoid(g), tf.float32)
        return self.h(x) * tf.sigmoid(self.g(x))

    def compute_output_shape(self, input_shape):
        return self.h.compute_output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(filters=self.filters, kernel_size=self.kernel_size, strides=self.strides)
        return config


@keras.saving.register_keras_serializable(package="zoo")
class GatedConvNet(Float32Layer):
    """A stack of `GatedConv2D` on images with any leading axes, optionally flattened at the end.

    The VampPrior paper's ConvHVAE encoder of q(z2 | x): channels
    32-32-64-64-6, kernels 7-3-5-3-3, strides 1-2-1-2-1 (28 x 28 -> 7 x 7 x 6,
    294 features); its decoder: four 3x3 layers of 64 channels.

    Args:
        filters, kernel_sizes, strides: one entry per layer.
        flatten: end with `[..., H' * W' * C']` instead of `[..., H', W', C']`.

    Shapes: `[..., H, W, C]` -> `[..., F]` or `[..., H', W', C']`.
    """

    def __init__(self, filters, kernel_sizes, strides=None, flatten=True, **kwargs):
        super().__init__(**kwargs)
        self.filters = tuple(int(f) for f in filters)
        self.kernel_sizes = tuple(int(k) for k in kernel_sizes)
        self.strides = tuple(int(s) for s in (strides or (1,) * len(self.filters)))
        if not len(self.filters) == len(self.kernel_sizes) == len(self.strides):
            raise ValueError("filters, kernel_sizes and strides need one entry per layer; got "
                             f"{self.filters}, {self.kernel_sizes}, {self.strides}.")
        self.flatten = bool(flatten)
        self.conv_layers = [GatedConv2D(f, k, s, name=f"gated_conv_{i}") for i, (f, k, s) in
                            enumerate(zip(self.filters, self.kernel_sizes, self.strides))]

    def _image_shape(self, input_shape):
        shape = (None,) + tuple(input_shape[-3:])
        for layer in self.conv_layers:
            shape = layer.compute_output_shape(shape)
        return tuple(shape[1:])

    def build(self, input_shape):
        shape = (None,) + tuple(input_shape[-3:])
        for layer in self.conv_layers:
            ensure_built(layer, shape)
            shape = layer.compute_output_shape(shape)

    def call(self, x):
        lead = tf.shape(x)[:-3]
        h = tf.reshape(x, tf.concat([[-1], tf.shape(x)[-3:]], axis=0))
        for layer in self.conv_layers:
            h = layer(h)
        tail = ([h.shape[1] * h.shape[2] * h.shape[3]] if self.flatten
                else [h.shape[1], h.shape[2], h.shape[3]])
        return tf.reshape(h, tf.concat([lead, tail], axis=0))

    def compute_output_shape(self, input_shape):
        image = self._image_shape(input_shape)
        tail = (image[0] * image[1] * image[2],) if self.flatten else image
        return tuple(input_shape[:-3]) + tail

    def get_config(self):
        config = super().get_config()
        config.update(filters=list(self.filters), kernel_sizes=list(self.kernel_sizes),
                      strides=list(self.strides), flatten=self.flatten)
        return config

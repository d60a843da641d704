"""MADE: a masked autoencoder with autoregressive outputs (Germain et al., 2015)."""

import keras
import numpy as np
import tensorflow as tf

from zoo.building import ensure_built, he_normal
from zoo.float32 import Float32Layer

__all__ = ["MADE", "MaskedDense", "made_degrees"]


def made_degrees(event_size, hidden_units):
    """Degrees of the input, hidden and output units of a MADE, natural order.

    Input unit i (1-based) has degree i. Hidden units cycle through degrees
    1 .. D-1 (Germain et al.'s deterministic assignment), so every degree has
    about the same number of units. Output unit i has degree i and sees only
    hidden units of degree < i, so output i depends on inputs 1 .. i-1 only.

    Returns:
        A list of int arrays: `[input, *hidden, output]` degrees.
    """
    inputs = np.arange(1, event_size + 1)
    hidden = [np.arange(units) % max(event_size - 1, 1) + 1 for units in hidden_units]
    return [inputs, *hidden, inputs]


@keras.saving.register_keras_serializable(package="zoo")
class MaskedDense(Float32Layer):
    """A dense layer whose kernel is masked by the degrees of its units (MADE's masks).

    Input unit j connects to output unit k when `output_degrees[k] >= input_degrees[j]`
    (`strict`: `>`). The layer keeps the two degree vectors, not the `[in, units]`
    mask: the mask is rebuilt from them where it is used, so a traced function (a
    SavedModel's endpoints) stores `in + units` integers instead of an
    `[in, units]` float constant per endpoint (for an 8-step IAF, 22 MB of its
    export's graph). Grappler and XLA fold the comparison into a constant.

    Args:
        input_degrees: `[in]` ints.
        output_degrees: `[units]` ints; the layer has `len(output_degrees)` units.
        strict: connect only to inputs of strictly lower degree (MADE's output layer).
        activation, kernel_initializer: as in `keras.layers.Dense`.

    Shapes: `[..., in]` -> `[..., units]`.
    """

    def __init__(self, input_degrees, output_degrees, strict=False, activation=None,
                 kernel_initializer=None, **kwargs):
        super().__init__(**kwargs)
        self.input_degrees = np.asarray(input_degrees, np.int32).reshape(-1)
        self.output_degrees = np.asarray(output_degrees, np.int32).reshape(-1)
        self.strict = bool(strict)
        self.units = len(self.output_degrees)
        self.activation = keras.activations.get(activation)
        self.kernel_initializer = keras.initializers.get(kernel_initializer or he_normal())

    def kernel_mask(self, dtype=tf.float32):
        """The `[in, units]` 0/1 mask, as a tensor of `dtype`."""
        compare = tf.greater if self.strict else tf.greater_equal
        return tf.cast(compare(tf.constant(self.output_degrees)[None, :],
                               tf.constant(self.input_degrees)[:, None]), dtype)

    def build(self, input_shape):
        if input_shape[-1] != len(self.input_degrees):
            raise ValueError(f"MaskedDense expects {len(self.input_degrees)} inputs; got "
                             f"shape {input_shape}.")
        self.kernel = self.add_weight(shape=(len(self.input_degrees), self.units),
                                      name="kernel", initializer=self.kernel_initializer)
        self.bias = self.add_weight(shape=(self.units,), name="bias", initializer="zeros")

    def call(self, x):
        kernel = self.kernel * self.kernel_mask(self.kernel.dtype)
        return self.activation(tf.matmul(x, kernel) + self.bias)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(input_degrees=self.input_degrees.tolist(),
                      output_degrees=self.output_degrees.tolist(), strict=self.strict,
                      activation=keras.activations.serialize(self.activation),
                      kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config


@keras.saving.register_keras_serializable(package="zoo")
class MADE(Float32Layer):
    """Autoregressive network: output `[..., D, num_params]`, row i a function of x_<i.

    A Keras 3 layer, so its weights are tracked and trained by `fit` (TFP's
    `tfb.AutoregressiveNetwork` is a tf_keras layer whose variables Keras 3
    does not see).

    Args:
        event_size: D.
        hidden_units: widths of the hidden masked layers, e.g. `(640, 640, 640)`.
        num_params: parameters per dimension (2: shift and log-scale; 1: shift).
        activation: of the hidden layers.
        zero_init_output: start the output layer at zero (the flow starts at
            the identity).
        context_units: C > 0 makes it conditional (IAF): a dense projection of
            a context `[..., C]` is added to the first hidden layer.

    Shapes: `[..., D]` -> `[..., D, num_params]`.
    """

    def __init__(self, event_size, hidden_units=(640, 640, 640), num_params=2,
                 activation="relu", zero_init_output=True, context_units=0, **kwargs):
        super().__init__(**kwargs)
        self.context_units = int(context_units)
        self.event_size = int(event_size)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.num_params = int(num_params)
        self.activation = activation
        self.zero_init_output = bool(zero_init_output)
        if self.event_size < 2:
            raise ValueError(f"MADE needs event_size >= 2; got {self.event_size}.")
        degrees = made_degrees(self.event_size, self.hidden_units)
        # With a context, the first layer's activation comes after the context is added.
        self.hidden_layers = [
            MaskedDense(degrees[i], degrees[i + 1],
                        activation=None if (i == 0 and self.context_units) else activation,
                        name=f"hidden_{i}")
            for i, units in enumerate(self.hidden_units)]
        self.context_layer = (keras.layers.Dense(self.hidden_units[0], use_bias=False,
                                                 kernel_initializer=he_normal(), name="context",
                                                 dtype=self.dtype_policy)
                              if self.context_units else None)
        # Output unit (i, p) sees hidden units of degree < i; the output layer
        # is laid out dimension-major, [D * num_params].
        self.output_layer = MaskedDense(
            degrees[-2], np.repeat(degrees[-1], self.num_params), strict=True,
            kernel_initializer="zeros" if self.zero_init_output else None, name="output")

    def build(self, input_shape):
        shape = tuple(input_shape)
        if self.context_layer is not None:
            ensure_built(self.context_layer, shape[:-1] + (self.context_units,))
        for layer in [*self.hidden_layers, self.output_layer]:
            ensure_built(layer, shape)
            shape = layer.compute_output_shape(shape)

    def call(self, x, context=None):
        """`x [..., D]` (with `context_units`: and `context [..., C]`) -> `[..., D, params]`."""
        if (context is None) != (self.context_layer is None):
            raise ValueError(f"This MADE takes a context of {self.context_units} units "
                             f"exactly when context_units > 0; got context={context is not None}.")
        h = x
        for i, layer in enumerate(self.hidden_layers):
            h = layer(h)
            if i == 0 and context is not None:
                # The context enters every first-layer unit: it carries no
                # autoregressive degree, so the masks stay valid.
                h = keras.activations.get(self.activation)(h + self.context_layer(context))
        out = self.output_layer(h)
        return tf.reshape(out, tf.concat(
            [tf.shape(out)[:-1], [self.event_size, self.num_params]], axis=0))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.event_size, self.num_params)

    def get_config(self):
        config = super().get_config()
        config.update(event_size=self.event_size, hidden_units=list(self.hidden_units),
                      num_params=self.num_params, activation=self.activation,
                      zero_init_output=self.zero_init_output,
                      context_units=self.context_units)
        return config

"""Affine coupling layer with a dense shift/log-scale network (Dinh et al., 2017)."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.building import ensure_built, he_normal
from zoo.float32 import Float32Layer

tfb = tfp.bijectors

__all__ = ["AffineCoupling"]


@keras.saving.register_keras_serializable(package="zoo")
class AffineCoupling(Float32Layer):
    """eps_a = z_a;  eps_b = z_b * exp(s(z_a)) + t(z_a), with a = the first D // 2 dims.

    (s, t) is a dense network: `hidden_units` ReLU layers and a zero-initialised
    output layer, so the step starts at the identity. The log-scale is soft
    clamped, s = c * tanh(raw / c): unbounded, exp(s) overflowed within 100
    Adam steps on a 2-D ring at learning rate 2e-3 (Glow bounds it with a
    sigmoid instead). TFP's `tfb.RealNVP` does the split, the affine map and
    the log-determinant sum(s).

    Args:
        hidden_units: widths of the hidden layers (Xu et al.'s code: one of 256).
        activation: of the hidden layers.
        log_scale_clamp: c; |s| < c, so each step scales by at most exp(c).

    Shapes: `[..., D]` -> `[..., D]`, D >= 2.
    """

    def __init__(self, hidden_units=(256,), activation="relu", log_scale_clamp=2.0, **kwargs):
        super().__init__(**kwargs)
        self.log_scale_clamp = float(log_scale_clamp)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.activation = activation
        self.hidden_layers = [keras.layers.Dense(u, activation=activation,
                                                 kernel_initializer=he_normal(),
                                                 name=f"hidden_{i}", dtype=self.dtype_policy)
                              for i, u in enumerate(self.hidden_units)]

    def build(self, input_shape):
        dim = int(input_shape[-1])
        if dim < 2:
            raise ValueError(f"AffineCoupling needs at least 2 dimensions; got {dim}.")
        self.num_masked = dim // 2
        self.shift_and_log_scale = keras.layers.Dense(
            2 * (dim - self.num_masked), kernel_initializer="zeros",
            name="shift_and_log_scale", dtype=self.dtype_policy)
        shape = tuple(input_shape[:-1]) + (self.num_masked,)
        for layer in [*self.hidden_layers, self.shift_and_log_scale]:
            ensure_built(layer, shape)
            shape = layer.compute_output_shape(shape)

    def _shift_and_log_scale_fn(self, z_a, output_units):
        h = z_a
        for layer in self.hidden_layers:
            h = layer(h)
        shift, raw_log_scale = tf.split(self.shift_and_log_scale(h), 2, axis=-1)
        clamp = self.log_scale_clamp
        return shift, clamp * tf.tanh(raw_log_scale / clamp)

    def bijector(self):
        return tfb.RealNVP(num_masked=self.num_masked,
                           shift_and_log_scale_fn=self._shift_and_log_scale_fn)

    def forward_and_log_det(self, z):
        """(eps `[..., D]`, sum(s) `[...]`), evaluating the network once.

        `tfb.RealNVP` evaluates it again for the log-determinant; that second
        pass made a RealNVP prior's log_prob and gradient 1.8 times slower (the
        whole VAE training step 1.13 times, the IS evaluation 1.4 times).
        """
        z_a, z_b = z[..., :self.num_masked], z[..., self.num_masked:]
        shift, log_scale = self._shift_and_log_scale_fn(z_a, None)
        eps = tf.concat([z_a, z_b * tf.exp(log_scale) + shift], axis=-1)
        return eps, tf.reduce_sum(log_scale, axis=-1)

    def call(self, z):
        return self.bijector().forward(z)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units), activation=self.activation,
                      log_scale_clamp=self.log_scale_clamp)
        return config

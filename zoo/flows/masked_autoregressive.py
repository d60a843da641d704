"""One step of a masked autoregressive flow (Papamakarios et al., 2017) on the zoo's MADE."""

import keras
import tensorflow as tf
import tensorflow_probability as tfp

from zoo.building import ensure_built
from zoo.float32 import Float32Layer
from zoo.networks.made import MADE

tfb = tfp.bijectors

__all__ = ["MaskedAutoregressiveStep"]


@keras.saving.register_keras_serializable(package="zoo")
class MaskedAutoregressiveStep(Float32Layer):
    """eps_i = (z_i - m_i(z_<i)) * exp(-s_i(z_<i)), or eps_i = z_i - m_i(z_<i) if shift-only.

    The density direction (z -> eps) is one MADE pass; the generative
    direction (eps -> z, sampling) takes D sequential passes. That is TFP's
    `MaskedAutoregressiveFlow` (whose forward is eps -> z), inverted. Chen et
    al.'s AF prior is this step, shift-only ("mean-only autoregressive flow,
    which we found to be more numerically stable").

    With a scale, s is soft clamped to c * tanh(raw / c) like `AffineCoupling`'s.

    Args:
        hidden_units: widths of the MADE's hidden layers.
        shift_only: volume-preserving step (no scale).
        activation: of the MADE's hidden layers.
        log_scale_clamp: c, the bound on |s|.

    Shapes: `[..., D]` -> `[..., D]`, D >= 2.
    """

    def __init__(self, hidden_units=(640, 640, 640), shift_only=True, activation="relu",
                 log_scale_clamp=2.0, **kwargs):
        super().__init__(**kwargs)
        self.log_scale_clamp = float(log_scale_clamp)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.shift_only = bool(shift_only)
        self.activation = activation
        self.made = None

    def build(self, input_shape):
        if self.made is None:
            self.made = MADE(int(input_shape[-1]), self.hidden_units,
                             num_params=1 if self.shift_only else 2,
                             activation=self.activation, name="made")
        ensure_built(self.made, input_shape)

    def _shift_and_log_scale_fn(self, z):
        params = self.made(z)
        if self.shift_only:
            return params[..., 0], None
        clamp = self.log_scale_clamp
        return params[..., 0], clamp * tf.tanh(params[..., 1] / clamp)

    def bijector(self):
        return tfb.Invert(tfb.MaskedAutoregressiveFlow(
            shift_and_log_scale_fn=self._shift_and_log_scale_fn,
            is_constant_jacobian=self.shift_only))

    def forward_and_log_det(self, z):
        """(eps `[..., D]`, -sum(s) `[...]`; 0 if shift-only): one MADE pass, where TFP's
        bijector makes a second one for the log-determinant."""
        shift, log_scale = self._shift_and_log_scale_fn(z)
        if log_scale is None:
            return z - shift, tf.zeros(tf.shape(z)[:-1], z.dtype)
        return (z - shift) * tf.exp(-log_scale), -tf.reduce_sum(log_scale, axis=-1)

    def call(self, z):
        return self.bijector().forward(z)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units), shift_only=self.shift_only,
                      activation=self.activation, log_scale_clamp=self.log_scale_clamp)
        return config

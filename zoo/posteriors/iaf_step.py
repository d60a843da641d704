"""One inverse autoregressive flow step conditioned on an encoder context (Kingma et al. 2016)."""

import keras
import tensorflow as tf

from zoo.building import ensure_built
from zoo.float32 import Float32Layer
from zoo.networks.made import MADE

__all__ = ["IAFStep"]


@keras.saving.register_keras_serializable(package="zoo")
class IAFStep(Float32Layer):
    """z' = sigma * z + (1 - sigma) * m,  [m, s] = MADE(z, h),  sigma = sigmoid(s + gate_bias).

    The IAF paper's numerically stable step (Kingma et al. 2016, Algorithm 1):
    m_i and s_i depend on z_<i and on the context h, so the Jacobian is
    triangular with diagonal sigma and log |det| = sum_i log sigma_i. The
    MADE's output starts at zero, so at initialization the step scales z by
    sigmoid(gate_bias) (0.88 for the default 2: close to the identity, as the
    paper's positive gate bias intends). The output is returned in reversed
    order, so consecutive steps alternate the autoregressive order (a
    permutation: no change of volume).

    Written directly rather than as a TFP bijector: a posterior only ever runs
    this sampling direction, one MADE pass, and needs the context argument.

    Args:
        hidden_units: the MADE's hidden layers.
        activation: of the hidden layers.
        gate_bias: added to s before the sigmoid.

    Shapes: z `[..., D]`, context `[..., C]` -> (z' `[..., D]`, log |det| `[...]`).
    """

    def __init__(self, hidden_units=(300, 300), activation="elu", gate_bias=2.0, **kwargs):
        super().__init__(**kwargs)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.activation = activation
        self.gate_bias = float(gate_bias)
        self.made = None

    def build(self, input_shape):
        z_shape, context_shape = (tuple(s) for s in input_shape)
        if self.made is None:
            self.made = MADE(z_shape[-1], self.hidden_units, num_params=2,
                             activation=self.activation, context_units=context_shape[-1],
                             name="made")
        ensure_built(self.made, z_shape)

    def forward_and_log_det(self, z, context):
        params = self.made(z, context=context)
        m, s = params[..., 0], params[..., 1]
        log_sigma = tf.math.log_sigmoid(s + self.gate_bias)
        sigma = tf.exp(log_sigma)
        z = sigma * z + (1.0 - sigma) * m
        return tf.reverse(z, axis=[-1]), tf.reduce_sum(log_sigma, axis=-1)

    def call(self, inputs):
        return self.forward_and_log_det(*inputs)

    def get_config(self):
        config = super().get_config()
        config.update(hidden_units=list(self.hidden_units), activation=self.activation,
                      gate_bias=self.gate_bias)
        return config

"""The likelihood (decoder head) contract p(x | z)."""

import math

import keras
import tensorflow as tf

from zoo.building import ensure_built, he_normal
from zoo.float32 import Float32Layer

__all__ = ["Likelihood"]


class Likelihood(Float32Layer):
    """Base class of the decoder heads: a projection of decoder features to
    distribution parameters, plus the density of the data under them.

    The projection is one Dense layer with `params_per_dim` outputs per data
    dimension. It acts on the features' last axis: per pixel when the features
    are already spatial (`[..., H, W, C']` for data `[H, W, C]`, i.e. a 1x1
    convolution), on the flattened image otherwise (`[..., F]`).

    Contract (x `[batch, *event_shape]`, features `[..., batch, ...]`):
        log_prob(x, features) -> [..., batch]: log p(x | z) in nats.
        mean(features) -> [..., batch, *event_shape].
        sample(features, seed=None) -> [..., batch, *event_shape].
        parameters(features) -> {name: tensor}: the distribution's parameters.
        value_range: (low, high) of the data, or None for any real value.
        pixels: the `zoo.datasets.PIXELS` it models ("binary" and "dynamic":
            {0, 1} values; "gray": 8-bit levels k / 255); () for real values.
        on_support(x) -> bool scalar: every value of x is one the likelihood
            gives mass (or density) to, e.g. 0 or 1 for a Bernoulli. A
            log-likelihood of other values would be a number without meaning,
            so exported models refuse them (`support_description` says why).

    Args:
        event_shape: shape of one data point, e.g. `(28, 28, 1)`.
        params_per_dim: outputs of the projection per data dimension.
        kernel_initializer: of the projection.
    """

    value_range = None
    support_description = "any real value"
    pixels = ()

    def __init__(self, event_shape, params_per_dim=1, kernel_initializer=None,
                 **kwargs):
        super().__init__(**kwargs)
        self.event_shape = tuple(int(d) for d in event_shape)
        self.params_per_dim = int(params_per_dim)
        self.kernel_initializer = keras.initializers.get(kernel_initializer or he_normal())
        self._spatial = None
        self.projection = None

    @property
    def event_rank(self):
        return len(self.event_shape)

    @property
    def num_dims(self):
        """Number of data dimensions (for bits/dim)."""
        return math.prod(self.event_shape)

    def build(self, features_shape):
        features_shape = tuple(features_shape)
        spatial = self.event_shape[:-1]
        self._spatial = (len(spatial) > 0 and
                         tuple(features_shape[-len(spatial) - 1:-1]) == spatial)
        units = (self.event_shape[-1] if self._spatial else self.num_dims)
        self.projection = keras.layers.Dense(
            units * self.params_per_dim,
            kernel_initializer=self.kernel_initializer, name="projection",
            dtype=self.dtype_policy)
        ensure_built(self.projection, features_shape)

    def params(self, features):
        """Distribution parameters `[..., batch, *event_shape, params_per_dim]`."""
        out = self.projection(features)
        lead = tf.shape(out)[:-(len(self.event_shape) if self._spatial else 1)]
        shape = tf.concat([lead, self.event_shape, [self.params_per_dim]], axis=0)
        return tf.reshape(out, shape)

    def call(self, features):
        return self.mean(features)

    def log_prob(self, x, features):
        raise NotImplementedError

    def mean(self, features):
        raise NotImplementedError

    def sample(self, features, seed=None):
        raise NotImplementedError

    def parameters(self, features):
        raise NotImplementedError

    def on_support(self, x):
        return tf.constant(True)

    def _sum_event(self, values):
        """Sums `[..., *event_shape]` over the event dimensions."""
        return tf.reduce_sum(values, axis=list(range(-self.event_rank, 0)))

    def get_config(self):
        config = super().get_config()
        config.update(
            event_shape=list(self.event_shape),
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer))
        return config

"""The Prior contract shared by every prior in the zoo."""

import keras

__all__ = ["Prior"]


class Prior(keras.layers.Layer):
    """Base class of the zoo's priors p(z): a Keras layer with a density.

    Subclasses implement `log_prob` and `sample`. Calling the layer on `z`
    returns `log_prob(z)`, so a prior is usable as an ordinary Keras layer.

    Args:
        latent_shape: shape of one latent sample, e.g. `(40,)`.

    Contract:
        log_prob(z) -> [...batch]: log p(z) in nats, summed over the latent
            dimensions; `z: [...batch, *latent_shape]` (any number of leading
            dimensions, e.g. `[num_samples, batch, latent]`).
        sample(num_samples, seed=None) -> [num_samples, *latent_shape].
    """

    def __init__(self, latent_shape, **kwargs):
        super().__init__(**kwargs)
        self.latent_shape = tuple(int(d) for d in latent_shape)

    @property
    def event_rank(self):
        return len(self.latent_shape)

    def log_prob(self, z):
        raise NotImplementedError

    def sample(self, num_samples, seed=None):
        raise NotImplementedError

    def call(self, z):
        return self.log_prob(z)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[: len(input_shape) - self.event_rank])

    def get_config(self):
        config = super().get_config()
        config.update(latent_shape=list(self.latent_shape))
        return config

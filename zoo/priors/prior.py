"""The Prior contract shared by every prior in the zoo."""

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.building import ensure_built
from zoo.float32 import Float32Layer

__all__ = ["Prior"]


class Prior(Float32Layer):
    """Base class of the zoo's priors p(z): a Keras layer with a density.

    Subclasses implement `build_distribution()`, a TFP distribution built from
    the layer's weights at each call; `distribution()`, `log_prob` and `sample`
    use it, creating the weights first if the layer is not built yet (as
    calling a Keras layer does), so a prior works from its first use in a
    user's own `train_step`. Calling the layer on `z` returns `log_prob(z)`, so
    a prior is usable as an ordinary Keras layer (e.g.
    `keras.Model(z, prior(z))` fitted by maximum likelihood).

    Args:
        latent_shape: shape of one latent sample, e.g. `(40,)`.
        seed: seed of the layer's `SeedGenerator` (fresh samples per call).

    Contract:
        build_distribution() -> tfd.Distribution with event shape `latent_shape`
            (the subclass's part; `distribution()` builds the layer, then calls it).
            Build it once and reuse it where the weights do not change in
            between (the VAE does so across the chunks of `log_likelihood`:
            the VampPrior encodes its pseudo-inputs there).
        log_prob(z) -> [...batch]: log p(z) in nats, summed over the latent
            dimensions; `z: [...batch, *latent_shape]` (any number of leading
            dimensions, e.g. `[num_samples, batch, latent]`).
        sample(num_samples, seed=None) -> [num_samples, *latent_shape].
        initialize_from_data(x, z): data-dependent initialization from
            training data `x: [N, *event_shape]` and posterior samples
            `z: [N, *latent_shape]`; run once, eagerly, before training
            (actnorm statistics, the VampPrior's training-image pseudo-inputs).
            `initialization_examples` says how many examples it wants
            (0: it needs none; a caller with fewer passes what it has).
    """

    initialization_examples = 0

    def __init__(self, latent_shape, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.latent_shape = tuple(int(d) for d in latent_shape)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    @property
    def event_rank(self):
        return len(self.latent_shape)

    def distribution(self):
        """The TFP distribution p(z) of the current weights (built on first use)."""
        ensure_built(self, (None,) + self.latent_shape)
        return self.build_distribution()

    def build_distribution(self):
        raise NotImplementedError

    def log_prob(self, z):
        return self.distribution().log_prob(tf.cast(z, self.compute_dtype))

    def sample(self, num_samples, seed=None):
        seed = zoo_random.as_seed(seed, self.seed_generator)
        # TFP's stateless samplers take int32 seeds.
        return self.distribution().sample(num_samples, seed=tf.cast(seed, tf.int32))

    def initialize_from_data(self, x, z):
        del x, z  # Nothing to initialize by default.

    def call(self, z):
        return self.log_prob(z)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[: len(input_shape) - self.event_rank])

    def get_config(self):
        config = super().get_config()
        config.update(latent_shape=list(self.latent_shape), seed=self.seed)
        return config

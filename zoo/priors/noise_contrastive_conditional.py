"""The noise-contrastive reweighting of a conditional prior p(z_k | z_<k) (hierarchical NCP)."""

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.building import ensure_built
from zoo.float32 import Float32Layer
from zoo.priors.noise_contrastive import gumbel_max_resample

__all__ = ["NoiseContrastiveConditional"]


@keras.saving.register_keras_serializable(package="zoo")
class NoiseContrastiveConditional(Float32Layer):
    """r(z_k | c) p(z_k | z_<k), with log r = logit D_k([z_k, c]) and c = c(z_<k).

    The lower groups of a hierarchical NCP (Aneja et al. 2021, Sec. 4.4). The
    context c is the feature vector the hierarchical prior computes from the
    groups above (the first stage's representation, as in the paper); the
    classifier D_k sees `[z_k, c]`. It wraps the conditional head of a
    `HierarchicalVAE` (`conditional_prior`) and keeps its interface:

      - `log_prob(z, features)` = log p(z | .) + log r(z | c), *unnormalized*:
        the hierarchical NCP has one normalizer Z = E_p[prod_k r_k] over all
        groups, held by the top group's `NoiseContrastivePrior` and estimated
        with this layer's ratios (`HierarchicalVAE.estimate_log_normalizer`).
      - `sample_and_log_prob(features, n, seed)` draws by SIR: per output,
        `num_proposals` proposals from p(z | .), one kept ∝ r (ancestral
        sampling with SIR per group); the log prob returned is the
        unnormalized one above.
      - `params(features)` are the base's (mean and scale of p(z | .)).

    Not trainable (see `NoiseContrastivePrior`).

    Args:
        base: the conditional head (`DiagonalGaussianPosterior`-like: `params`,
            `log_prob(z, features)`, `sample_and_log_prob`).
        classifier: a layer `[z [..., D], c [..., F]]` -> logits `[..., 1]`.
        num_proposals, proposal_chunk_size: SIR's, as in `NoiseContrastivePrior`.
        seed: seed of the layer's `SeedGenerator`.
    """

    def __init__(self, base, classifier, num_proposals=5000, proposal_chunk_size=100,
                 seed=None, **kwargs):
        if isinstance(base, dict):
            base = keras.saving.deserialize_keras_object(base)
        if isinstance(classifier, dict):
            classifier = keras.saving.deserialize_keras_object(classifier)
        super().__init__(**kwargs)
        self.base = base
        self.classifier = classifier
        self.num_proposals = int(num_proposals)
        self.proposal_chunk_size = int(proposal_chunk_size)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.trainable = False

    @property
    def latent_dim(self):
        return self.base.latent_dim

    def build(self, features_shape):
        features_shape = tuple(features_shape)
        ensure_built(self.base, features_shape)
        ensure_built(self.classifier, [features_shape[:-1] + (self.latent_dim,), features_shape])

    def params(self, features):
        return self.base.params(features)

    def call(self, features):
        return self.params(features)

    def log_ratio(self, z, features):
        """log r(z | c) = logit D([z, c]), `[..., batch]`; c is broadcast over z's sample axes."""
        z = tf.convert_to_tensor(z, self.compute_dtype)
        features = tf.broadcast_to(features, tf.concat([tf.shape(z)[:-1],
                                                        tf.shape(features)[-1:]], axis=0))
        return tf.squeeze(self.classifier([z, features]), axis=-1)

    def log_prob(self, z, features):
        """Unnormalized log r(z | c) + log p(z | .) in nats, `[..., batch]`."""
        return self.base.log_prob(z, features) + self.log_ratio(z, features)

    def sample_and_log_prob(self, features, num_samples=1, seed=None):
        """SIR samples `[S, ..., batch, D]` and their unnormalized log density `[S, ..., batch]`."""
        seed = zoo_random.as_seed(seed, self.seed_generator)
        chunk_size = min(self.proposal_chunk_size, self.num_proposals)

        def propose(n, chunk_seed):
            z, _ = self.base.sample_and_log_prob(features, n * num_samples,
                                                 zoo_random.fold_in(chunk_seed, 0))
            z = tf.reshape(z, tf.concat([[n, num_samples], tf.shape(z)[1:]], axis=0))
            return z, self.log_ratio(z, features)

        z = gumbel_max_resample(propose, self.num_proposals, chunk_size, seed,
                                self.compute_dtype)["choice"]
        return z, self.log_prob(z, features)

    def get_config(self):
        config = super().get_config()
        config.update(base=keras.saving.serialize_keras_object(self.base),
                      classifier=keras.saving.serialize_keras_object(self.classifier),
                      num_proposals=self.num_proposals,
                      proposal_chunk_size=self.proposal_chunk_size, seed=self.seed)
        return config

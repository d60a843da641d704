"""What a VAE offers stage 2 of NCP-VAE (Aneja et al. 2021): sample pairs, the reweighted model.

`NoiseContrastiveWiring` is a mixin of `VAE`: `NoiseContrastiveEstimation`
trains a classifier per latent group on `noise_contrastive_pairs`, and
`with_noise_contrastive_prior` returns the model whose prior those classifiers
reweight. `HierarchicalVAE` overrides the three methods for its two groups.
"""

import tensorflow as tf

from zoo import random as zoo_random
from zoo.priors.noise_contrastive import NoiseContrastivePrior

__all__ = ["NoiseContrastiveWiring"]


class NoiseContrastiveWiring:
    """NCP stage-2 methods of a one-group VAE (needs `encoder`, `posterior`, `prior`,
    `seed_generator`, `compute_dtype` and `with_parts`)."""

    def noise_contrastive_pairs(self, x, seed=None):
        """Stage-2 samples of NCP-VAE: per latent group, posterior and prior draws.

        Args:
            x: `[batch, *event_shape]` training data.
            seed: None, an int or an int `[2]` tensor.

        Returns:
            {group: (z_q, z_p, context)}: here {"z": (z ~ q(z | x) `[batch, D]`,
            z ~ p(z) `[batch, D]`, None)}, so z_q follows the aggregate
            posterior q(z). Hierarchical models add groups whose context is
            the representation of the groups above.
        """
        seed = zoo_random.as_seed(seed, self.seed_generator)
        x = tf.cast(x, self.compute_dtype)
        z_q, _ = self.posterior.sample_and_log_prob(self.encoder(x), 1,
                                                    zoo_random.fold_in(seed, 0))
        z_p = self.prior.sample(tf.shape(x)[0], seed=zoo_random.fold_in(seed, 1))
        return {"z": (z_q[0], z_p, None)}

    def with_noise_contrastive_prior(self, classifiers, **options):
        """This model with p(z) reweighted: `NoiseContrastivePrior(p, classifiers["z"])`.

        The new model shares every layer with this one and is frozen
        (`trainable` False, also after loading): log Z is estimated for these
        weights, and the ELBO must not move them or the classifier. `options`
        go to `NoiseContrastivePrior` (sampler, proposals, Langevin settings).
        Call `estimate_log_normalizer` before `log_likelihood`.
        """
        return self._frozen_with_parts(
            prior=NoiseContrastivePrior(self.prior, classifiers["z"], **options))

    def estimate_log_normalizer(self, num_samples=1_000_000, chunk_size=10_000, seed=None,
                                progress=None):
        """Estimates and stores the NCP's log Z (see `NoiseContrastivePrior`); `progress`: a
        label to report the chunks' progress under (`zoo.progress`)."""
        return self.prior.estimate_log_normalizer(num_samples, chunk_size, seed,
                                                  progress=progress)

    def _frozen_with_parts(self, **replacements):
        """`with_parts`, with `trainable` False (saved with it: a loaded copy is frozen too)."""
        model = self.with_parts(**replacements)
        model.trainable = False
        return model

"""The VampPrior paper's two-level VAE: q(z1 | x, z2) q(z2 | x), p(x | z1, z2) p(z1 | z2) p(z2)."""

import keras
import tensorflow as tf

from zoo import random as zoo_random
from zoo.building import ensure_built
from zoo.models.vae import VAE
from zoo.priors.noise_contrastive import NoiseContrastivePrior
from zoo.priors.noise_contrastive_conditional import NoiseContrastiveConditional

__all__ = ["HierarchicalVAE"]


@keras.saving.register_keras_serializable(package="zoo")
class HierarchicalVAE(VAE):
    """Two latent groups, z2 on top (Tomczak & Welling 2018, Sec. 4, Eqs. 10-15).

        inference:  z2 ~ q(z2 | x),       z1 ~ q(z1 | x, z2)
        generation: z2 ~ p(z2) (any zoo prior), z1 ~ p(z1 | z2),  x ~ p(x | z1, z2)

    The `VAE` parts play the top level: `encoder` and `posterior` give
    q(z2 | x), `prior` is p(z2) (a VampPrior evaluates q(z2 | u_k) with them),
    and `decoder` maps `[z1, z2]` to the likelihood's features. The two
    further parts of each direction:

    Args:
        bottom_encoder: `[x, z2]` -> features of q(z1 | x, z2) (a `JointGatedMLP`).
        bottom_posterior: the diagonal Gaussian head of q(z1 | x, z2).
        conditional_prior_encoder: z2 -> features of p(z1 | z2).
        conditional_prior: the diagonal Gaussian head of p(z1 | z2) (with
            `params`, `log_prob` and `sample_and_log_prob`, like a posterior).
        encoder, posterior, prior, decoder, likelihood, seed: as in `VAE`.

    Latent groups in `ElboTerms`: "z1" (log p(z1 | z2), log q(z1 | x, z2)) and
    "z2" (log p(z2), log q(z2 | x)). Importance sampling draws (z2, z1) from
    q jointly, so `log_likelihood` covers both groups. `encode` and `decode`
    work on z2, the top latent: `decode(z2)` is the mean of p(x | z1, z2) at
    z1 = E[z1 | z2].
    """

    PARTS = VAE.PARTS + ("bottom_encoder", "bottom_posterior", "conditional_prior_encoder",
                         "conditional_prior")
    LATENT_GROUPS = ("z1", "z2")

    def __init__(self, encoder, posterior, bottom_encoder, bottom_posterior,
                 conditional_prior_encoder, conditional_prior, prior, decoder, likelihood,
                 seed=None, **kwargs):
        super().__init__(encoder, posterior, prior, decoder, likelihood, seed=seed, **kwargs)
        self.bottom_encoder = bottom_encoder
        self.bottom_posterior = bottom_posterior
        self.conditional_prior_encoder = conditional_prior_encoder
        self.conditional_prior = conditional_prior

    @property
    def bottom_latent_shape(self):
        return (self.bottom_posterior.latent_dim,)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ensure_built(self.encoder, input_shape)
        ensure_built(self.posterior, self.encoder.compute_output_shape(input_shape))
        top = (None,) + self.latent_shape
        bottom = (None,) + self.bottom_latent_shape
        ensure_built(self.prior, top)
        ensure_built(self.bottom_encoder, [input_shape, top])
        ensure_built(self.bottom_posterior,
                     self.bottom_encoder.compute_output_shape([input_shape, top]))
        ensure_built(self.conditional_prior_encoder, top)
        ensure_built(self.conditional_prior,
                     self.conditional_prior_encoder.compute_output_shape(top))
        ensure_built(self.decoder, [bottom, top])
        ensure_built(self.likelihood, self.decoder.compute_output_shape([bottom, top]))

    def _log_weights(self, x, features, num_samples, seed, prior_distribution):
        """Terms of the log weights of S joint samples (z2, z1) ~ q, each `[S, batch]`."""
        seed = zoo_random.as_seed(seed, self.seed_generator)
        z2, log_q2 = self.posterior.sample_and_log_prob(features, num_samples,
                                                        zoo_random.fold_in(seed, 0))
        # One z1 per z2: features [S, batch, F] -> samples [1, S, batch, D1].
        z1, log_q1 = self.bottom_posterior.sample_and_log_prob(
            self.bottom_encoder([x, z2]), 1, zoo_random.fold_in(seed, 1))
        z1, log_q1 = z1[0], log_q1[0]
        log_p1 = self.conditional_prior.log_prob(z1, self.conditional_prior_encoder(z2))
        log_px_z = self.likelihood.log_prob(x, self.decoder([z1, z2]))
        return (log_px_z, {"z1": log_p1, "z2": prior_distribution.log_prob(z2)},
                {"z1": log_q1, "z2": log_q2})

    def posterior_moments(self, x, num_samples=100, seed=None):
        """Mean and std of q(z2 | x) (exact) and of q(z1 | x) = E_q(z2|x) q(z1 | x, z2).

        The z1 moments are Rao-Blackwellized over `num_samples` draws of z2:
        mean = avg_s loc1(x, z2_s), var = avg_s (scale1^2 + loc1^2) - mean^2.

        Returns:
            {"z1": (mean, std), "z2": (mean, std)}, each `[batch, D]`.
        """
        seed = zoo_random.as_seed(seed, self.seed_generator)
        x = tf.cast(x, self.compute_dtype)
        features = self.encoder(x)
        top = self.posterior.params(features)
        z2, _ = self.posterior.sample_and_log_prob(features, num_samples,
                                                   zoo_random.fold_in(seed, 0))
        loc1, scale1 = self.bottom_posterior.params(self.bottom_encoder([x, z2]))
        mean1 = tf.reduce_mean(loc1, axis=0)
        second_moment = tf.reduce_mean(tf.square(scale1) + tf.square(loc1), axis=0)
        std1 = tf.sqrt(tf.maximum(second_moment - tf.square(mean1), 0.0))
        return {"z1": (mean1, std1), "z2": top}

    def _bottom_mean(self, z2):
        return self.conditional_prior.params(self.conditional_prior_encoder(z2))[0]

    def decode_features(self, z):
        """The likelihood's features at z2 = `z` `[batch, D2]` and z1 = E[z1 | z2]."""
        return self.decoder([self._bottom_mean(z), z])

    def sample(self, num_samples, seed=None):
        """Ancestral samples: {"z": z2, "z1", "x", "mean"}."""
        seed = zoo_random.as_seed(seed, self.seed_generator)
        z2 = self.prior.sample(num_samples, seed=zoo_random.fold_in(seed, 0))
        z1, _ = self.conditional_prior.sample_and_log_prob(
            self.conditional_prior_encoder(z2), 1, zoo_random.fold_in(seed, 2))
        features = self.decoder([z1[0], z2])
        x = self.likelihood.sample(features, seed=zoo_random.fold_in(seed, 1))
        return {"z": z2, "z1": z1[0], "x": x, "mean": self.likelihood.mean(features)}

    # --------------------------------------------------- noise-contrastive prior

    def noise_contrastive_pairs(self, x, seed=None):
        """Stage-2 samples per group (Aneja et al. 2021, Eq. 4), each `[batch, D]`.

        "z2": (z2 ~ q(z2 | x), z2 ~ p(z2), None);
        "z1": (z1 ~ q(z1 | x, z2), z1 ~ p(z1 | z2), c(z2)), both given the same
            posterior z2, with c(z2) the conditional prior's features.
        """
        seed = zoo_random.as_seed(seed, self.seed_generator)
        x = tf.cast(x, self.compute_dtype)
        z2_q, _ = self.posterior.sample_and_log_prob(self.encoder(x), 1,
                                                     zoo_random.fold_in(seed, 0))
        z2_q = z2_q[0]
        z1_q, _ = self.bottom_posterior.sample_and_log_prob(
            self.bottom_encoder([x, z2_q]), 1, zoo_random.fold_in(seed, 1))
        context = self.conditional_prior_encoder(z2_q)
        z1_p, _ = self.conditional_prior.sample_and_log_prob(context, 1,
                                                             zoo_random.fold_in(seed, 2))
        z2_p = self.prior.sample(tf.shape(x)[0], seed=zoo_random.fold_in(seed, 3))
        return {"z2": (z2_q, z2_p, None), "z1": (z1_q[0], z1_p[0], context)}

    def with_noise_contrastive_prior(self, classifiers, num_proposals=5000,
                                     proposal_chunk_size=100, **options):
        """The hierarchical NCP: p(z2) and p(z1 | z2) each reweighted by its classifier.

        `classifiers["z2"]` sees z2, `classifiers["z1"]` sees [z1, c(z2)].
        Sampling is ancestral with SIR per group; the one normalizer of the
        joint lives in the top prior (`estimate_log_normalizer`).
        """
        return self._frozen_with_parts(
            prior=NoiseContrastivePrior(self.prior, classifiers["z2"], num_proposals=num_proposals,
                                        proposal_chunk_size=proposal_chunk_size, **options),
            conditional_prior=NoiseContrastiveConditional(
                self.conditional_prior, classifiers["z1"], num_proposals=num_proposals,
                proposal_chunk_size=proposal_chunk_size, seed=self.conditional_prior.seed,
                name="conditional_prior"))

    def estimate_log_normalizer(self, num_samples=1_000_000, chunk_size=10_000, seed=None,
                                progress=None):
        """log Z = log E[r(z2) r(z1 | z2)] over z2 ~ p(z2), z1 ~ p(z1 | z2), stored in the prior.

        `progress`: a label to report the chunks' progress under (`zoo.progress`).
        """
        conditional = self.conditional_prior

        def bottom_log_ratio(z2, seed):
            context = self.conditional_prior_encoder(z2)
            z1, _ = conditional.base.sample_and_log_prob(context, 1, seed)
            return conditional.log_ratio(z1[0], context)

        return self.prior.estimate_log_normalizer(num_samples, chunk_size, seed,
                                                  extra_log_ratio=bottom_log_ratio,
                                                  progress=progress)

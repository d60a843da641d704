"""Assembling a one-level `VAE` from its networks: the part every one-level builder shares."""

from zoo import likelihoods, posteriors, priors
from zoo.models.vae import VAE

__all__ = ["assemble_vae"]


def assemble_vae(encoder, decoder, input_shape, latent_dim, prior, prior_config, likelihood,
                 log_var_range, posterior, posterior_config, seed,
                 posterior_initializer=None):
    """A built `VAE` of `encoder` and `decoder` with the named prior, posterior and likelihood.

    Args:
        encoder: x `[..., *input_shape]` -> features `[..., F]`.
        decoder: z `[..., latent_dim]` -> features of the likelihood.
        input_shape: one example, e.g. `[H, W, C]`.
        prior, posterior, likelihood: names in `zoo.priors.PRIORS`,
            `zoo.posteriors.POSTERIORS`, `zoo.likelihoods.LIKELIHOODS`; their
            configs as in `ModelConfig`.
        log_var_range: clip of the posterior log-variance (None: no clip).
        seed: base seed of the stochastic layers (None: random); the posterior,
            likelihood, model and prior take seed + 1, 2, 3 and 4.
        posterior_initializer: of the posterior's dense heads (None: the zoo's
            `zoo.building.he_normal`).
    """
    seed_of = lambda k: None if seed is None else seed + k
    model = VAE(
        encoder=encoder,
        posterior=posteriors.build_posterior(posterior, latent_dim, posterior_config,
                                             log_var_range=log_var_range, seed=seed_of(1),
                                             kernel_initializer=posterior_initializer,
                                             name="posterior"),
        prior=priors.build_prior(prior, (latent_dim,), prior_config,
                                 input_shape=input_shape, name="prior", seed=seed_of(4)),
        decoder=decoder,
        likelihood=likelihoods.LIKELIHOODS.get(likelihood)(
            input_shape, seed=seed_of(2), name="likelihood"),
        seed=seed_of(3))
    model.build((None,) + tuple(input_shape))
    return model

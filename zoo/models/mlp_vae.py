"""The VAE of LARS and SNIS (Bauer & Mnih 2019; Lawson et al. 2019): tanh MLPs."""

from zoo import likelihoods, posteriors, priors
from zoo.models.vae import VAE
from zoo.networks.mlp import MLP

__all__ = ["build_tanh_mlp_vae"]


def build_tanh_mlp_vae(input_shape=(28, 28, 1), latent_dim=50, hidden_units=(300, 300),
                       prior="standard", prior_config=None, likelihood="bernoulli",
                       log_var_range=(-6.0, 2.0), posterior="gaussian",
                       posterior_config=None, seed=None):
    """Builds (and builds the weights of) the tanh-MLP VAE.

    encoder: x -> Dense(300, tanh) -> Dense(300, tanh) -> (mu, log var)
    decoder: z -> Dense(300, tanh) -> Dense(300, tanh) -> Dense(784) logits

    z = 50 in LARS/SNIS, the single-group model of NCP-VAE's Table 2. The
    posterior's log-variance is clipped to `log_var_range` like the zoo's
    other VAEs (None: no clip). Arguments as in `build_gated_mlp_vae`.

    Returns:
        A built `VAE`.
    """
    seed_of = lambda k: None if seed is None else seed + k
    model = VAE(
        encoder=MLP(hidden_units, "tanh", input_rank=len(input_shape), name="encoder"),
        posterior=posteriors.build_posterior(posterior, latent_dim, posterior_config,
                                             log_var_range=log_var_range,
                                             kernel_initializer="glorot_uniform",
                                             seed=seed_of(1), name="posterior"),
        prior=priors.build_prior(prior, (latent_dim,), prior_config,
                                 input_shape=input_shape, name="prior", seed=seed_of(4)),
        decoder=MLP(hidden_units, "tanh", input_rank=1, name="decoder"),
        likelihood=likelihoods.LIKELIHOODS.get(likelihood)(
            input_shape, seed=seed_of(2), name="likelihood"),
        seed=seed_of(3))
    model.build((None,) + tuple(input_shape))
    return model

"""The VAE of LARS and SNIS (Bauer & Mnih 2019; Lawson et al. 2019): tanh MLPs."""

from zoo.models.vae_assembly import assemble_vae
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
    return assemble_vae(
        encoder=MLP(hidden_units, "tanh", input_rank=len(input_shape), name="encoder"),
        decoder=MLP(hidden_units, "tanh", input_rank=1, name="decoder"),
        input_shape=input_shape, latent_dim=latent_dim, prior=prior, prior_config=prior_config,
        likelihood=likelihood, log_var_range=log_var_range, posterior=posterior,
        posterior_config=posterior_config, seed=seed, posterior_initializer="glorot_uniform")

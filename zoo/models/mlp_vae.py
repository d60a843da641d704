"""Plain-MLP VAEs: LARS and SNIS's tanh MLPs (Bauer & Mnih 2019; Lawson et al. 2019) and
LED's ReLU MLPs (Huang et al. 2017)."""

from zoo.models.vae_assembly import assemble_vae
from zoo.networks.mlp import MLP

__all__ = ["build_mlp_vae"]


def build_mlp_vae(input_shape=(28, 28, 1), latent_dim=50, hidden_units=(300, 300),
                  activation="tanh", prior="standard", prior_config=None,
                  likelihood="bernoulli", log_var_range=(-6.0, 2.0), posterior="gaussian",
                  posterior_config=None, seed=None):
    """Builds (and builds the weights of) an MLP VAE.

    encoder: x -> Dense(300, act) -> Dense(300, act) -> (mu, log var)
    decoder: z -> Dense(300, act) -> Dense(300, act) -> Dense(784) logits

    tanh, 2 x 300 and z = 50 in LARS/SNIS, the single-group model of NCP-VAE's
    Table 2 (architecture `tanh_mlp`); ReLU, 2 x 200 and z = 50 in LED's Table 1
    (`relu_mlp`). The posterior's log-variance is clipped to `log_var_range`
    like the zoo's other VAEs (None: no clip). `activation` is a Keras
    activation name; the other arguments as in `build_gated_mlp_vae`.

    Returns:
        A built `VAE`.
    """
    return assemble_vae(
        encoder=MLP(hidden_units, activation, input_rank=len(input_shape), name="encoder"),
        decoder=MLP(hidden_units, activation, input_rank=1, name="decoder"),
        input_shape=input_shape, latent_dim=latent_dim, prior=prior, prior_config=prior_config,
        likelihood=likelihood, log_var_range=log_var_range, posterior=posterior,
        posterior_config=posterior_config, seed=seed, posterior_initializer="glorot_uniform")

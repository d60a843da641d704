"""The VampPrior paper's one-level VAE with gated MLPs (Tomczak & Welling 2018)."""

from zoo.models.vae_assembly import assemble_vae
from zoo.networks.gated_mlp import GatedMLP

__all__ = ["build_gated_mlp_vae"]


def build_gated_mlp_vae(input_shape=(28, 28, 1), latent_dim=40,
                        hidden_units=(300, 300), prior="standard",
                        prior_config=None, likelihood="bernoulli",
                        log_var_range=(-6.0, 2.0), posterior="gaussian",
                        posterior_config=None, seed=None):
    """Builds (and builds the weights of) the gated-MLP VAE.

    encoder: x -> GatedDense(300) -> GatedDense(300) -> (mu, clip(log var, -6, 2))
    decoder: z -> GatedDense(300) -> GatedDense(300) -> Dense(784) logits

    He-normal weights, z = 40, as in the paper's code (`models/VAE.py`).

    Args:
        input_shape: one image, `[H, W, C]`.
        latent_dim: D.
        hidden_units: widths of the gated layers (encoder and decoder alike).
        prior: a name registered in `zoo.priors.PRIORS`.
        prior_config: that prior's typed config (None: its defaults).
        likelihood: a name registered in `zoo.likelihoods.LIKELIHOODS`.
        log_var_range: clip of the posterior log-variance.
        posterior: a name registered in `zoo.posteriors.POSTERIORS` (a flow
            posterior pushes the diagonal Gaussian through its steps).
        posterior_config: that posterior's typed config (None: its defaults).
        seed: base seed of the model's stochastic layers (None: random).

    Returns:
        A built `VAE`.
    """
    return assemble_vae(
        encoder=GatedMLP(hidden_units, input_rank=len(input_shape), name="encoder"),
        decoder=GatedMLP(hidden_units, input_rank=1, name="decoder"),
        input_shape=input_shape, latent_dim=latent_dim, prior=prior, prior_config=prior_config,
        likelihood=likelihood, log_var_range=log_var_range, posterior=posterior,
        posterior_config=posterior_config, seed=seed)

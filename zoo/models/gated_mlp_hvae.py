"""The VampPrior paper's two-level HVAE with gated MLPs (Tomczak & Welling 2018)."""

from zoo import likelihoods, priors
from zoo.models.hierarchical_vae import HierarchicalVAE
from zoo.networks.gated_mlp import GatedMLP
from zoo.networks.joint_gated_mlp import JointGatedMLP
from zoo.posteriors.diagonal_gaussian import DiagonalGaussianPosterior

__all__ = ["build_gated_mlp_hvae"]


def build_gated_mlp_hvae(input_shape=(28, 28, 1), latent_dim=40, hidden_units=(300, 300),
                         prior="standard", prior_config=None, likelihood="bernoulli",
                         log_var_range=(-6.0, 2.0), posterior="gaussian",
                         posterior_config=None, seed=None):
    """Builds (and builds the weights of) the HVAE (L = 2) of `models/HVAE_2level.py`.

        q(z2 | x):      x -> GatedDense(300) -> GatedDense(300) -> (mu, clip(log var))
        q(z1 | x, z2):  [x -> GatedDense(300); z2 -> GatedDense(300)] -> GatedDense(300)
        p(z1 | z2):     z2 -> GatedDense(300) -> GatedDense(300) -> (mu, clip(log var))
        p(x | z1, z2):  [z1 -> GatedDense(300); z2 -> GatedDense(300)] -> GatedDense(300)
                        -> Dense(784) logits
        p(z2):          the prior `prior`

    z1 and z2 both have `latent_dim` units (40 in the paper); every log-variance
    is clipped to `log_var_range` (the code's Hardtanh(-6, 2)). Arguments as in
    `build_gated_mlp_vae`; the branches and joins have `hidden_units[-1]` units.

    Returns:
        A built `HierarchicalVAE`.
    """
    if posterior != "gaussian":
        raise ValueError(f"The two-level HVAE has diagonal Gaussian posteriors only; got "
                         f"posterior={posterior!r}.")
    del posterior_config
    seed_of = lambda k: None if seed is None else seed + k
    width = (int(hidden_units[-1]),)
    gaussian = lambda name, k: DiagonalGaussianPosterior(
        latent_dim, log_var_range=log_var_range, seed=seed_of(k), name=name)
    model = HierarchicalVAE(
        encoder=GatedMLP(hidden_units, input_rank=len(input_shape), name="encoder"),
        posterior=gaussian("posterior", 1),
        bottom_encoder=JointGatedMLP((len(input_shape), 1), width, width, name="bottom_encoder"),
        bottom_posterior=gaussian("bottom_posterior", 5),
        conditional_prior_encoder=GatedMLP(hidden_units, input_rank=1,
                                           name="conditional_prior_encoder"),
        conditional_prior=gaussian("conditional_prior", 6),
        prior=priors.build_prior(prior, (latent_dim,), prior_config,
                                 input_shape=input_shape, name="prior", seed=seed_of(4)),
        decoder=JointGatedMLP((1, 1), width, width, name="decoder"),
        likelihood=likelihoods.LIKELIHOODS.get(likelihood)(
            input_shape, seed=seed_of(2), name="likelihood"),
        seed=seed_of(3))
    model.build((None,) + tuple(input_shape))
    return model

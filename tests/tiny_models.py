"""Tiny models of every prior that has landed, shared by the tests (the VampPrior both ways)."""

from zoo import priors
from zoo.models import build_gated_mlp_vae

TINY_PRIORS = {
    "standard": None,
    "mog": priors.MixtureOfGaussiansPriorConfig(num_components=5, trainable_mixture_weights=True),
    "vamp": priors.VampPriorConfig(num_components=6, trainable_mixture_weights=True),
    "vamp_data": priors.VampPriorConfig(num_components=6, pseudo_inputs="data"),
    "realnvp": priors.RealNVPPriorConfig(num_blocks=2, hidden_units=(8,)),
    "maf": priors.MAFPriorConfig(num_steps=2, hidden_units=(12,), shift_only=False),
}
IMAGE_SHAPE = (4, 4, 1)
LATENT_DIM = 3


def tiny_vae(name, seed=1, likelihood="bernoulli"):
    """A built gated-MLP VAE on 4x4 images, z = 3, with the prior `name` of TINY_PRIORS."""
    return build_gated_mlp_vae(IMAGE_SHAPE, latent_dim=LATENT_DIM, hidden_units=(8,),
                               prior=name.split("_")[0], prior_config=TINY_PRIORS[name],
                               likelihood=likelihood, seed=seed)

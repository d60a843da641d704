"""Tiny models of every prior that has landed (the VampPrior both ways) and synthetic data,
shared by the tests."""

from zoo import priors
from zoo.models import build_gated_mlp_vae

TINY_PRIORS = {
    "standard": None,
    "mog": priors.MixtureOfGaussiansPriorConfig(num_components=5, trainable_mixture_weights=True),
    "vamp": priors.VampPriorConfig(num_components=6, trainable_mixture_weights=True),
    "vamp_data": priors.VampPriorConfig(num_components=6, pseudo_inputs_kind="data"),
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


def write_synthetic_mnist(directory, train=200, valid=50, test=20, seed=0):
    """Writes `binarized_mnist.npz` of random {0, 1} 28x28 images (30% ones) into `directory`."""
    import os

    import numpy as np

    rng = np.random.RandomState(seed)
    make = lambda n: (rng.rand(n, 28, 28) > 0.7).astype(np.uint8)
    np.savez_compressed(os.path.join(str(directory), "binarized_mnist.npz"),
                        x_train=make(train), x_valid=make(valid), x_test=make(test))
    return str(directory)

"""The ConvHVAE and PixelHVAE builders: the paper's stacks, training, IS >= ELBO, round trip."""

import sys

import numpy as np
import pytest

from tests.model_checks import assert_trains_bounds_and_round_trips
from zoo.likelihoods import PixelCNNBernoulliLikelihood
from zoo.models import HierarchicalVAE, ModelConfig, build_gated_conv_hvae, build_model
from zoo.networks import GatedConvNet


def test_the_convhvae_has_the_papers_stacks():
    model = build_gated_conv_hvae(latent_dim=40, prior="vamp", seed=0)
    assert isinstance(model, HierarchicalVAE)
    assert (model.encoder.filters, model.encoder.kernel_sizes, model.encoder.strides) == (
        (32, 32, 64, 64, 6), (7, 3, 5, 3, 3), (1, 2, 1, 2, 1))
    x_branch = model.bottom_encoder.branches[0]
    assert x_branch.kernel_sizes == (3, 3, 3, 3, 3)
    assert model.decoder.layers[-1].filters == (64, 64, 64, 64)
    # The VampPrior encodes its pseudo-inputs with the conv encoder.
    loc, scale = model.prior.components()
    assert loc.shape == (500, 40) and scale.shape == (500, 40)
    pixel = build_gated_conv_hvae(likelihood="pixelcnn_bernoulli", seed=0)
    assert not any(isinstance(layer, GatedConvNet) for layer in pixel.decoder.layers)
    assert isinstance(pixel.likelihood, PixelCNNBernoulliLikelihood)
    with pytest.raises(ValueError, match="diagonal Gaussian posteriors only"):
        build_gated_conv_hvae(posterior="iaf")


@pytest.mark.parametrize("likelihood", ["bernoulli", "pixelcnn_bernoulli"])
def test_convhvae_trains_and_round_trips(likelihood, tmp_path):
    shape = (8, 8, 1)
    model = build_model(ModelConfig(architecture="gated_conv_hvae", latent_dim=3,
                                    hidden_units=(16,), likelihood=likelihood), shape, seed=0)
    rng = np.random.RandomState(0)
    prototypes = rng.rand(3, *shape) > 0.6          # three patterns: structure to learn
    x = prototypes[rng.randint(3, size=32)].astype("float32")
    assert_trains_bounds_and_round_trips(model, x, tmp_path, epochs=5)
    assert set(model.elbo_terms(x, seed=0).log_pz) == {"z1", "z2"}


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

"""The ResNet VAE builders: the papers' stacks, training, IS >= ELBO, round trips."""

import sys

import keras
import numpy as np
import pytest

from tests.model_checks import assert_trains_bounds_and_round_trips
from tests.tiny_models import TINY_PRIORS
from trainers import experiments
from zoo.likelihoods import PixelCNNBernoulliLikelihood
from zoo.models import VAE, ModelConfig, build_model
from zoo.networks import ConvBlock
from zoo.posteriors import FlowPosterior, IAFPosteriorConfig
from zoo.priors import MAFPrior, RealNVPPrior


def _model_of(experiment):
    return build_model(experiments.get_experiment(experiment).model, (28, 28, 1), seed=0)


def test_xu_et_als_resnet_vae_has_their_stacks():
    model = _model_of("resnet_vae_realnvp50_static_mnist")
    assert isinstance(model, VAE) and isinstance(model.prior, RealNVPPrior)
    assert (model.encoder.channels, model.encoder.strides) == ((16, 32, 32, 64, 64),
                                                               (1, 2, 1, 2, 1))
    assert (model.decoder.channels, model.decoder.strides) == ((64, 32, 32, 16), (1, 2, 1, 2))
    assert model.encoder.compute_output_shape((None, 28, 28, 1)) == (None, 3136)
    assert model.decoder.start_shape == (7, 7, 64)
    assert keras.activations.serialize(model.encoder.activation) == "leaky_relu"
    assert model.prior.num_blocks == 50 and model.latent_shape == (40,)


def test_xu_et_als_conv_vae_is_the_resnet_vae_without_residual_connections():
    conv = _model_of("conv_vae_realnvp50_static_mnist")
    resnet = _model_of("resnet_vae_realnvp50_static_mnist")
    for net in ("encoder", "decoder"):
        a, b = getattr(conv, net), getattr(resnet, net)
        assert (a.channels, a.strides) == (b.channels, b.strides)
        assert all(type(block) is ConvBlock for block in a.blocks)
    assert conv.count_params() < resnet.count_params()


def test_vlae_is_the_elu_resnet_with_an_af_prior_and_a_small_pixelcnn():
    model = _model_of("vlae_maf4_static_mnist")
    assert keras.activations.serialize(model.decoder.activation) == "elu"
    assert isinstance(model.prior, MAFPrior) and model.latent_shape == (64,)
    assert isinstance(model.likelihood, PixelCNNBernoulliLikelihood)
    assert model.likelihood.conditioning_channels == 4
    assert (model.likelihood.pixelcnn.num_layers, model.likelihood.pixelcnn.filters) == (6, 12)
    config = experiments.get_experiment("vlae_maf4_static_mnist").train
    assert (config.optimizer, config.learning_rate, config.ema_momentum,
            config.free_bits_per_data_dim) == ("adamax", 2e-3, 0.998, 0.01)
    af_vae = _model_of("af_vae_maf4_static_mnist")
    assert type(af_vae.likelihood).__name__ == "BernoulliLikelihood"


def test_leds_resconv_has_three_strided_blocks_a_dense_layer_and_flows_on_both_sides():
    model = _model_of("led_resconv_vae_realnvp16_iaf16_posterior_static_mnist")
    assert (model.encoder.channels, model.encoder.strides) == ((16, 32, 32), (2, 2, 2))
    assert model.encoder.dense_units == (450,) and model.latent_shape == (32,)
    assert isinstance(model.posterior, FlowPosterior) and len(model.posterior.steps) == 16
    assert isinstance(model.prior, RealNVPPrior) and model.prior.num_blocks == 16


@pytest.mark.parametrize("architecture,prior,posterior,likelihood", [
    ("resnet", "standard", "gaussian", "bernoulli"),
    ("conv", "realnvp", "gaussian", "bernoulli"),
    ("resnet_elu", "maf", "gaussian", "pixelcnn_bernoulli_vlae"),
    ("resconv", "realnvp", "iaf", "bernoulli"),
])
def test_a_tiny_resnet_vae_trains_and_round_trips(architecture, prior, posterior, likelihood,
                                                  tmp_path):
    shape = (8, 8, 1)
    flow = IAFPosteriorConfig(num_steps=2, hidden_units=(8,)) if posterior == "iaf" else None
    model = build_model(ModelConfig(architecture=architecture, latent_dim=3, hidden_units=(4, 6),
                                    prior=prior, prior_config=TINY_PRIORS[prior],
                                    posterior=posterior, posterior_config=flow,
                                    likelihood=likelihood), shape, seed=0)
    rng = np.random.RandomState(0)
    prototypes = rng.rand(3, *shape) > 0.6          # three patterns: structure to learn
    x = prototypes[rng.randint(3, size=32)].astype("float32")
    assert_trains_bounds_and_round_trips(model, x, tmp_path, epochs=8)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

"""The MLPs of the LARS/SNIS and LED VAEs and the residual-MLP classifier against numpy."""

import sys

import numpy as np
import pytest

from trainers import experiments
from zoo.models import build_model
from zoo.networks import MLP, ResidualMLP


def test_mlp_is_dense_tanh_layers_on_flattened_inputs():
    mlp = MLP((5, 4), "tanh", input_rank=3)
    x = np.random.RandomState(0).rand(2, 3, 2, 2, 1).astype("float32")   # [S, batch, H, W, C]
    mlp.build(x.shape)
    h = x.reshape(2, 3, 4)
    for layer in mlp.dense_layers:
        kernel, bias = (w.numpy() for w in layer.weights)
        h = np.tanh(h @ kernel + bias)
    np.testing.assert_allclose(mlp(x), h, rtol=1e-5, atol=1e-6)
    assert mlp.compute_output_shape((None, 7, 2, 2, 1)) == (None, 7, 4)
    with pytest.raises(ValueError, match="at least one layer"):
        MLP(())


def test_residual_mlp_matches_its_definition_and_starts_at_zero_logits():
    net = ResidualMLP(6, 2, activation="tanh")
    z = np.random.RandomState(1).randn(4, 3).astype("float32")
    context = np.random.RandomState(2).randn(4, 2).astype("float32")
    assert np.all(net([z, context]).numpy() == 0.0)          # zero-initialized head
    for w in net.output_layer.weights:
        w.assign(np.random.RandomState(3).randn(*w.shape))
    dense = lambda layer, h: h @ layer.kernel.numpy() + layer.bias.numpy()
    h = dense(net.input_layer, np.concatenate([z, context], -1))
    for first, second in net.blocks:
        h = h + dense(second, np.tanh(dense(first, np.tanh(h))))
    np.testing.assert_allclose(net([z, context]), dense(net.output_layer, np.tanh(h)),
                               rtol=1e-5, atol=1e-5)


def test_lars_experiment_builds_the_tanh_mlp_vae_with_z_50():
    config = experiments.get_experiment("lars_vae_standard_dynamic_mnist")
    assert (config.data.name, config.data.batch_size, config.paper_nll) == (
        "dynamic_mnist", 128, 84.82)
    model = build_model(config.model, (28, 28, 1), seed=0)
    assert model.latent_shape == (50,)
    assert isinstance(model.encoder, MLP) and model.encoder.activation == "tanh"
    assert model.encoder.units == (300, 300) == model.decoder.units
    x = (np.random.RandomState(0).rand(3, 28, 28, 1) > 0.5).astype("float32")
    assert model.elbo_terms(x).elbo.shape == (3,)


@pytest.mark.parametrize("name, prior_blocks, posterior_steps, paper_nll", [
    ("led_mlp_vae_standard_static_mnist", 0, 0, 90.78),
    ("led_mlp_vae_realnvp12_static_mnist", 12, 0, 86.59),
    ("led_mlp_vae_standard_iaf4_posterior_static_mnist", 0, 4, 88.89)])
def test_led_experiments_build_the_relu_mlp_vae_with_their_flows(name, prior_blocks,
                                                                  posterior_steps, paper_nll):
    """Huang et al. (2017), Table 1: 2 x 200 ReLU, z = 50; NVP prior couplings of one hidden
    layer of 100, MADE posterior steps of two hidden layers of 512."""
    config = experiments.get_experiment(name)
    assert (config.data.name, config.paper_nll) == ("static_mnist", paper_nll)
    model = build_model(config.model, (28, 28, 1), seed=0)
    assert model.latent_shape == (50,)
    assert model.encoder.activation == "relu" and model.encoder.units == (200, 200)
    assert model.decoder.units == (200, 200)
    if prior_blocks:
        assert type(model.prior).__name__ == "RealNVPPrior"
        assert (model.prior.num_blocks, model.prior.hidden_units) == (prior_blocks, (100,))
    else:
        assert type(model.prior).__name__ == "StandardNormalPrior"
    expected = experiments.posteriors.IAFPosteriorConfig(posterior_steps, (512, 512))
    assert (config.model.posterior_config == expected) == bool(posterior_steps)
    x = (np.random.RandomState(0).rand(3, 28, 28, 1) > 0.5).astype("float32")
    assert model.elbo_terms(x).elbo.shape == (3,)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

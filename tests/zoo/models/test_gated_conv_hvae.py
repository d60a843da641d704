"""The ConvHVAE and PixelHVAE builders: the paper's stacks, training, IS >= ELBO, round trip,
training with bfloat16 gated convolutions."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

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


def _tiny_convhvae():
    keras.utils.set_random_seed(0)     # the weights, and the noise of the training steps
    return build_model(ModelConfig(architecture="gated_conv_hvae", latent_dim=3, hidden_units=(16,),
                                   prior="vamp"), (8, 8, 1), seed=0)


def _convolution_dtypes(step, x):
    graph = tf.function(step).get_concrete_function(tf.TensorSpec(x.shape, tf.float32)).graph
    return {op.get_attr("T").name for op in graph.get_operations() if op.type.startswith("Conv2D")}


def test_bfloat16_gated_convs_train_like_float32_and_evaluation_stays_float32():
    x = (np.random.RandomState(1).rand(16, 8, 8, 1) > 0.6).astype("float32")
    start = _tiny_convhvae().get_weights()
    weights, losses = {}, {}
    for dtype in ("float32", "bfloat16"):
        model = _tiny_convhvae()
        model.compile(keras.optimizers.SGD(1e-3), jit_compile=False)
        model.train_gated_conv_dtype = dtype
        history = model.fit(x, batch_size=8, epochs=2, shuffle=False, verbose=0)
        weights[dtype], losses[dtype] = model.get_weights(), history.history["loss"]
        if dtype == "bfloat16":
            # The step traces its convolutions (the VampPrior's pseudo-inputs' too) in
            # bfloat16; evaluation and the model's own answers stay float32.
            assert _convolution_dtypes(model.train_step, x) == {"bfloat16"}
            assert _convolution_dtypes(model.test_step, x) == {"float32"}
            assert _convolution_dtypes(lambda x: model.elbo_terms(x, seed=0).elbo, x) == {
                "float32"}
    np.testing.assert_allclose(losses["bfloat16"], losses["float32"], rtol=1e-2)
    # Four SGD steps move the weights alike: bfloat16 rounds the gradients, not their direction.
    moved = max(np.abs(w - w0).max() for w, w0 in zip(weights["float32"], start))
    apart = max(np.abs(a - b).max() for a, b in zip(weights["bfloat16"], weights["float32"]))
    assert 0 < apart < 0.05 * moved


def test_changing_the_training_dtype_retraces_the_step():
    model = _tiny_convhvae()
    model.compile(keras.optimizers.SGD(0.01), jit_compile=False)
    model.make_train_function()
    model.train_gated_conv_dtype = "float32"            # unchanged: the step is kept
    assert model.train_function is not None
    model.train_gated_conv_dtype = "bfloat16"
    assert model.train_function is None
    with pytest.raises(ValueError, match="train_gated_conv_dtype must be one of"):
        model.train_gated_conv_dtype = "float16"


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

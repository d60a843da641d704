"""PixelCNN: causality and receptive field from the autodiff Jacobian, the one-pass
log-likelihood, sequential sampling, and a VAE with a PixelCNN decoder."""

import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.model_checks import assert_trains_bounds_and_round_trips
from zoo.likelihoods import LIKELIHOODS, PixelCNNBernoulliLikelihood
from zoo.models import ModelConfig, build_model
from zoo.networks.pixelcnn import MaskedConv2D, PixelCNN, receptive_field_offsets

SIZE = 8


def randomized(layer, seed=0):
    """`layer` (built) with every weight random, biases included: no accidental zeros."""
    rng = np.random.RandomState(seed)
    for weight in layer.weights:
        weight.assign(0.5 * rng.randn(*weight.shape))
    return layer


def input_output_jacobian(network):
    x = tf.constant(np.random.RandomState(1).rand(1, SIZE, SIZE, 1), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = network(x)[0, :, :, 0]
    return tape.jacobian(out, x).numpy()[:, :, 0, :, :, 0]   # [out_r, out_c, in_r, in_c]


@pytest.mark.parametrize("num_layers, kernel_size, residual", [
    (1, 3, False), (3, 3, False), (3, 3, True), (2, 5, False)])
def test_outputs_see_exactly_the_pixels_before_them_in_the_receptive_field(
        num_layers, kernel_size, residual):
    network = PixelCNN(num_layers, filters=8, kernel_size=kernel_size, residual=residual)
    network.build((None, SIZE, SIZE, 1))
    jacobian = input_output_jacobian(randomized(network))
    field = receptive_field_offsets(num_layers, kernel_size)
    assert network.receptive_field == field
    for r in range(SIZE):
        for c in range(SIZE):
            seen = {(i, j) for i in range(SIZE) for j in range(SIZE) if jacobian[r, c, i, j] != 0}
            # Never the pixel itself nor any after it in raster order ...
            assert all(i * SIZE + j < r * SIZE + c for i, j in seen), (r, c)
            # ... and exactly the receptive field (the cone with its blind spot) inside the image.
            expected = {(r + dy, c + dx) for dy, dx in field
                        if 0 <= r + dy < SIZE and 0 <= c + dx < SIZE}
            assert seen == expected, (r, c)
    # The field grows with the number of layers: k // 2 rows up, and left, per layer.
    reach = num_layers * (kernel_size // 2)
    assert min(dy for dy, _ in field) == -reach
    assert min(dx for dy, dx in field if dy == 0) == -reach


def test_masked_convolution_checks_its_arguments():
    with pytest.raises(ValueError, match="mask_type must be 'A' or 'B'"):
        MaskedConv2D(4, 3, "C")
    with pytest.raises(ValueError, match="kernel_size must be odd"):
        MaskedConv2D(4, 4, "A")
    with pytest.raises(ValueError, match="one-channel images"):
        PixelCNNBernoulliLikelihood((SIZE, SIZE, 3))


def test_a_traced_pixelcnn_stores_spatial_masks_not_kernel_sized_ones():
    """A SavedModel endpoint holds one k x k mask per layer, not one of the kernel's shape."""
    network = PixelCNN(3, filters=64, kernel_size=5)
    network.build((None, SIZE, SIZE, 1))
    graph = tf.function(network).get_concrete_function(
        tf.TensorSpec([None, SIZE, SIZE, 1], tf.float32)).graph.as_graph_def()
    constant_bytes = sum(len(node.attr["value"].tensor.tensor_content)
                         for node in graph.node if node.op == "Const")
    assert constant_bytes < 2_000   # kernel-shaped masks: 1.65 MB


def likelihood(features_dim=6):
    head = PixelCNNBernoulliLikelihood((SIZE, SIZE, 1), num_layers=3, filters=8,
                                       conditioning_channels=2, seed=0)
    head.build((None, features_dim))
    return randomized(head, seed=2)


def test_log_prob_is_the_bernoulli_sum_of_the_one_pass_logits_for_any_leading_axes():
    head = likelihood()
    x = (np.random.RandomState(3).rand(4, SIZE, SIZE, 1) > 0.5).astype("float32")
    features = np.random.RandomState(4).randn(2, 4, 6).astype("float32")   # [S, batch, F]
    log_p = head.log_prob(x, features).numpy()
    assert log_p.shape == (2, 4)
    for s in range(2):
        maps = tf.reshape(head.params(features[s]), (4, SIZE, SIZE, 2))
        logits = head.pixelcnn(tf.concat([x, maps], -1)).numpy()
        expected = np.sum(x * logits - np.logaddexp(0, logits), axis=(1, 2, 3))
        np.testing.assert_allclose(log_p[s], expected, rtol=1e-5)


def test_sequential_samples_are_drawn_from_the_logits_of_their_own_prefixes():
    head = likelihood()
    features = np.random.RandomState(5).randn(3, 6).astype("float32")
    seed = tf.constant([6, 7], tf.int64)
    x, logits = head._ancestral(features, seed)
    # Pixel i was drawn with the logit of x_<i, which the finished sample still has:
    # one pass over the final sample gives the same logits.
    maps = tf.reshape(head.params(features), (3, SIZE, SIZE, 2))
    np.testing.assert_allclose(logits, head.pixelcnn(tf.concat([x, maps], -1)), rtol=1e-5,
                               atol=1e-5)
    # ... and each bit is u < sigmoid(logit) for the uniforms of the seed.
    uniform = tf.random.stateless_uniform((3, SIZE, SIZE, 1), seed).numpy()
    np.testing.assert_array_equal(x.numpy(), (uniform < tf.sigmoid(logits).numpy()))
    np.testing.assert_array_equal(head.sample(features, seed=seed), x)
    np.testing.assert_array_equal(head.mean(features), head.mean(features))   # fixed seed


def test_a_vae_with_a_pixelcnn_decoder_trains_and_round_trips(tmp_path):
    assert LIKELIHOODS.get("pixelcnn_bernoulli_vlae")((4, 4, 1)).pixelcnn.residual
    model = build_model(ModelConfig(latent_dim=3, hidden_units=(8,),
                                    likelihood="pixelcnn_bernoulli"), (SIZE, SIZE, 1), seed=0)
    assert (model.likelihood.pixelcnn.num_layers, model.likelihood.pixelcnn.filters) == (8, 64)
    x = (np.random.RandomState(0).rand(32, SIZE, SIZE, 1) > 0.7).astype("float32")
    assert_trains_bounds_and_round_trips(model, x, tmp_path, epochs=3)
    assert model.sample(2, seed=3)["x"].shape == (2, SIZE, SIZE, 1)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

"""Gated convolutions against their definition, the ConvHVAE stack's shapes, leading axes, and
their bfloat16 computation in training steps."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.networks import GatedConv2D, GatedConvNet, GatedMLP, JointGatedMLP, Sequence, ToImage
from zoo.networks.gated_conv import computing_in


def test_gated_conv_is_h_times_sigmoid_g_with_same_padding():
    layer = GatedConv2D(3, 5, strides=2)
    x = np.random.RandomState(0).randn(2, 9, 9, 2).astype("float32")
    out = layer(x).numpy()
    conv = lambda c: tf.nn.conv2d(x, c.kernel, 2, "SAME").numpy() + c.bias.numpy()
    np.testing.assert_allclose(out, conv(layer.h) / (1 + np.exp(-conv(layer.g))), rtol=1e-5,
                               atol=1e-6)
    assert out.shape == (2, 5, 5, 3)


def test_the_convhvae_encoder_stack_gives_294_features_and_keeps_leading_axes():
    net = GatedConvNet((32, 32, 64, 64, 6), (7, 3, 5, 3, 3), (1, 2, 1, 2, 1))
    assert net.compute_output_shape((None, 28, 28, 1)) == (None, 294)
    x = np.random.RandomState(1).rand(2, 3, 28, 28, 1).astype("float32")   # [S, batch, ...]
    out = net(x).numpy()
    assert out.shape == (2, 3, 294)
    np.testing.assert_allclose(out[1], net(x[1]).numpy(), rtol=1e-5, atol=1e-5)
    spatial = GatedConvNet((4, 4), (3, 3), flatten=False)
    assert spatial(x).shape == (2, 3, 28, 28, 4)
    with pytest.raises(ValueError, match="one entry per layer"):
        GatedConvNet((4, 4), (3,))


def test_a_joint_network_with_a_conv_branch_and_a_decoder_sequence_round_trip(tmp_path):
    joint = JointGatedMLP((3, 1), joint_units=(5,), branches=[
        GatedConvNet((2,), (3,), (2,)), GatedMLP((7,), input_rank=1)])
    decoder = Sequence([JointGatedMLP((1, 1), (6,), (16,)), ToImage((4, 4, 1)),
                        GatedConvNet((3,), (3,), flatten=False)])
    x = np.random.RandomState(2).rand(3, 8, 8, 1).astype("float32")
    z = np.random.RandomState(3).randn(2, 3, 4).astype("float32")          # a sample axis
    assert joint([x, z]).shape == (2, 3, 5)
    assert decoder([z, z]).shape == (2, 3, 4, 4, 3)
    x_in, z_in = keras.Input((8, 8, 1)), keras.Input((4,))
    model = keras.Model([x_in, z_in], [joint([x_in, z_in]), decoder([z_in, z_in])])
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(loaded([x, z[0]]), model([x, z[0]])):
        np.testing.assert_array_equal(a, b)


def _layer_with_biases(seed):
    layer = GatedConv2D(4, 3, strides=2)
    layer.build((None, 9, 9, 3))
    rng = np.random.RandomState(seed)
    for conv in (layer.h, layer.g):            # Keras starts them at 0: make them count
        conv.bias.assign(rng.randn(4).astype("float32"))
    return layer


def test_in_bfloat16_a_gated_conv_computes_its_definition_to_bfloat16_precision():
    layer = _layer_with_biases(5)
    x = np.random.RandomState(4).randn(2, 9, 9, 3).astype("float32")
    conv = lambda c: tf.nn.conv2d(x, c.kernel, 2, "SAME").numpy() + c.bias.numpy()
    reference = conv(layer.h) / (1 + np.exp(-conv(layer.g)))
    with computing_in("bfloat16"):
        out = layer(x)
    assert out.dtype == tf.float32 and out.shape == (2, 5, 5, 4)
    # bfloat16 keeps 8 significant bits (relative rounding 2^-9 per value).
    error = np.abs(out.numpy() - reference).max() / np.abs(reference).max()
    assert 1e-4 < error < 2e-2
    np.testing.assert_allclose(layer(x).numpy(), reference, rtol=1e-5, atol=1e-5)  # float32 again


def _convolutions(function, spec):
    """{(op, dtype)} of the convolutions in `function`'s graph, traced now for `spec`."""
    graph = function.get_concrete_function(spec).graph
    return {(op.type, op.get_attr("T").name) for op in graph.get_operations()
            if op.type.startswith("Conv2D")}


def test_the_dtype_is_fixed_when_a_function_is_traced_and_gradients_reach_float32_weights():
    layer = _layer_with_biases(6)
    x = np.random.RandomState(7).randn(2, 9, 9, 3).astype("float32")

    def gradients(x):
        with tf.GradientTape() as tape:
            loss = tf.reduce_sum(tf.square(layer(x)))
        return tape.gradient(loss, layer.trainable_variables)

    spec = tf.TensorSpec(x.shape, tf.float32)
    with computing_in("bfloat16"):
        in_bfloat16 = tf.function(gradients)
        assert _convolutions(in_bfloat16, spec) == {
            ("Conv2D", "bfloat16"), ("Conv2DBackpropFilter", "bfloat16"),
            ("Conv2DBackpropInput", "bfloat16")}
        in_float32 = tf.function(gradients)
        with computing_in("float32"):                        # nested: restored on exit
            assert {dtype for _, dtype in _convolutions(in_float32, spec)} == {"float32"}
    # Outside the context, the function traced inside it keeps bfloat16.
    for ours, exact in zip(in_bfloat16(x), in_float32(x)):
        assert ours.dtype == tf.float32
        scale = np.abs(exact.numpy()).max()
        assert 1e-5 * scale < np.abs(ours.numpy() - exact.numpy()).max() < 3e-2 * scale
    with pytest.raises(ValueError,
                       match=r"dtype must be one of \('float32', 'bfloat16'\); got 'float16'"):
        with computing_in("float16"):
            pass


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

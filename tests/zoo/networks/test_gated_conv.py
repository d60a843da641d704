"""Gated convolutions against their definition, the ConvHVAE stack's shapes, and leading axes."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.networks import GatedConv2D, GatedConvNet, GatedMLP, JointGatedMLP, Sequence, ToImage


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


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

"""Residual blocks against their definition, the ResNet VAEs' layouts and shapes, leading axes."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.models.resnet_vae import resnet_layout
from zoo.networks import ConvBlock, ResidualBlock, ResNetDecoder, ResNetEncoder

RNG = np.random.RandomState(0)


def _randomize(layer, seed):
    """Non-zero weights everywhere (conv starts at zero), so the reference sees every term."""
    rng = np.random.RandomState(seed)
    for weight in layer.weights:
        weight.assign(0.3 * rng.randn(*weight.shape).astype("float32"))


def _elu(a):
    return np.where(a > 0, a, np.expm1(np.minimum(a, 0)))


def _conv(x, conv, strides=1, transpose=False):
    """One convolution layer by `tf.nn`, from its kernel and bias."""
    if transpose:
        out_shape = [x.shape[0], x.shape[1] * strides, x.shape[2] * strides, conv.filters]
        out = tf.nn.conv2d_transpose(x, conv.kernel, out_shape, strides, "SAME")
    else:
        out = tf.nn.conv2d(x, conv.kernel, strides, "SAME")
    return out.numpy() + conv.bias.numpy()


@pytest.mark.parametrize("filters,strides,transpose", [
    (3, 1, False), (5, 1, False), (5, 2, False), (4, 2, True), (3, 1, True)])
def test_a_residual_block_is_shortcut_plus_two_preactivated_convolutions(filters, strides,
                                                                         transpose):
    x = RNG.randn(2, 6, 6, 3).astype("float32")
    block = ResidualBlock(filters, strides, transpose=transpose, activation="elu")
    block.build(x.shape)
    _randomize(block, 1)
    hidden = _conv(_elu(x), block.conv1)
    residual = _conv(_elu(hidden), block.conv, strides, transpose)
    keeps_shape = strides == 1 and filters == 3
    assert (block.shortcut is None) == keeps_shape
    shortcut = x if keeps_shape else _conv(x, block.shortcut, strides, transpose)
    out = block(x).numpy()
    np.testing.assert_allclose(out, shortcut + residual, rtol=1e-4, atol=1e-4)
    size = 6 * strides if transpose else 6 // strides
    assert out.shape == (2, size, size, filters) == block.compute_output_shape(x.shape)


@pytest.mark.parametrize("strides,transpose", [(1, False), (2, False), (2, True)])
def test_a_plain_block_is_one_preactivated_convolution(strides, transpose):
    x = RNG.randn(2, 6, 6, 3).astype("float32")
    block = ConvBlock(4, strides, transpose=transpose, activation="elu")
    out = block(x).numpy()
    np.testing.assert_allclose(out, _conv(_elu(x), block.conv, strides, transpose), rtol=1e-4,
                               atol=1e-4)
    assert out.shape == block.compute_output_shape(x.shape)


def test_a_fresh_block_is_its_shortcut():
    x = RNG.randn(2, 5, 5, 4).astype("float32")
    np.testing.assert_array_equal(ResidualBlock(4)(x).numpy(), x)


def test_the_layouts_are_xu_et_als_resnet_and_leds_resconv():
    assert resnet_layout((16, 32, 64), "stages") == (
        ((16, 32, 32, 64, 64), (1, 2, 1, 2, 1)), ((64, 32, 32, 16), (1, 2, 1, 2)))
    assert resnet_layout((16, 32, 32), "strided") == (
        ((16, 32, 32), (2, 2, 2)), ((32, 32, 16), (1, 2, 2)))
    assert resnet_layout((8,), "stages") == (((8,), (1,)), ((8,), (1,)))
    with pytest.raises(ValueError, match="Unknown ResNet layout 'dense'"):
        resnet_layout((8,), "dense")
    with pytest.raises(ValueError, match="at least one stage"):
        resnet_layout((), "stages")


def test_the_encoder_and_decoder_shapes_keep_leading_axes():
    (enc_c, enc_s), (dec_c, dec_s) = resnet_layout((4, 6, 8), "stages")
    encoder = ResNetEncoder(enc_c, enc_s, activation="leaky_relu")
    assert encoder.compute_output_shape((None, 28, 28, 1)) == (None, 7 * 7 * 8)
    x = RNG.rand(2, 3, 28, 28, 1).astype("float32")                      # [S, batch, ...]
    features = encoder(x).numpy()
    assert features.shape == (2, 3, 392)
    np.testing.assert_allclose(features[1], encoder(x[1]).numpy(), rtol=1e-5, atol=1e-5)

    decoder = ResNetDecoder((28, 28, 1), dec_c, dec_s, activation="leaky_relu")
    assert decoder.start_shape == (7, 7, 8)
    z = RNG.randn(2, 3, 5).astype("float32")
    maps = decoder(z).numpy()
    assert maps.shape == (2, 3, 28, 28, 4) == decoder.compute_output_shape((2, 3, 5))
    np.testing.assert_allclose(maps[0], decoder(z[0]).numpy(), rtol=1e-5, atol=1e-5)

    led = ResNetEncoder((4, 6, 6), (2, 2, 2), dense_units=(10,))
    assert led(x).shape == (2, 3, 10) and led.compute_output_shape((None, 28, 28, 1)) == (None, 10)
    with pytest.raises(ValueError, match=r"divisible by 8 .*; got 28 x 28"):
        ResNetDecoder((28, 28, 1), (4, 4, 4), (2, 2, 2))
    with pytest.raises(ValueError, match="one entry per residual block"):
        ResNetEncoder((4, 4), (1,))
    with pytest.raises(ValueError, match="strides are 1 or 2"):
        ResNetEncoder((4,), (3,))


@pytest.mark.parametrize("residual", [True, False])
def test_the_networks_round_trip(residual, tmp_path):
    encoder = ResNetEncoder((3, 5), (1, 2), dense_units=(7,), activation="elu", residual=residual)
    decoder = ResNetDecoder((8, 8, 1), (5, 3), (1, 2), dense_units=(6,), activation="elu",
                            residual=residual)
    block_class = ResidualBlock if residual else ConvBlock
    assert all(type(b) is block_class for b in encoder.blocks + decoder.blocks)
    x_in, z_in = keras.Input((8, 8, 1)), keras.Input((4,))
    model = keras.Model([x_in, z_in], [encoder(x_in), decoder(z_in)])
    for layer in (encoder, decoder):
        _randomize(layer, 2)
    x = RNG.rand(3, 8, 8, 1).astype("float32")
    z = RNG.randn(3, 4).astype("float32")
    path = str(tmp_path / "resnet.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(loaded([x, z]), model([x, z])):
        np.testing.assert_array_equal(a, b)


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

"""MADE: outputs are autoregressive in the inputs, exactly."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.networks.made import MADE, MaskedDense, made_degrees


def _jacobian(made, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = made(x)
    return tape.batch_jacobian(out, x).numpy()  # [batch, D, P, D]


@pytest.mark.parametrize("hidden_units", [(8,), (16, 9, 5)])
def test_output_i_depends_exactly_on_inputs_before_i(hidden_units):
    made = MADE(5, hidden_units, num_params=2, activation="tanh", zero_init_output=False)
    x = tf.constant(np.random.RandomState(0).randn(4, 5), tf.float32)
    made.build(x.shape)
    jac = _jacobian(made, x)
    assert jac.shape == (4, 5, 2, 5)
    for i in range(5):
        np.testing.assert_array_equal(jac[:, i, :, i:], 0.0)  # no x_j, j >= i
        if i > 0:   # and it does see each earlier input
            assert np.all(np.abs(jac[:, i, :, :i]).max(axis=(0, 1)) > 0)


def test_zero_initialised_output_and_degrees():
    made = MADE(4, (6,), num_params=1)
    x = tf.ones((2, 4))
    made.build(x.shape)
    np.testing.assert_array_equal(made(x).numpy(), np.zeros((2, 4, 1)))
    inputs, hidden, outputs = made_degrees(4, (6,))
    np.testing.assert_array_equal(hidden, [1, 2, 3, 1, 2, 3])
    np.testing.assert_array_equal(inputs, outputs)
    with pytest.raises(ValueError, match="event_size >= 2"):
        MADE(1)


def test_masks_follow_the_degrees_and_survive_a_config_round_trip():
    made = MADE(4, (6, 5), num_params=2)
    made.build((None, 4))
    degrees = made_degrees(4, (6, 5))
    # Germain et al.: hidden k sees j when m(k) >= m(j); output i sees m(k) < i.
    expected = [degrees[1][None, :] >= degrees[0][:, None],
                degrees[2][None, :] >= degrees[1][:, None],
                np.repeat(degrees[3][None, :] > degrees[2][:, None], 2, axis=1)]
    layers = [*made.hidden_layers, made.output_layer]
    for layer, mask in zip(layers, expected):
        np.testing.assert_array_equal(layer.kernel_mask().numpy(), mask.astype(np.float32))
    clone = MaskedDense.from_config(made.output_layer.get_config())
    np.testing.assert_array_equal(clone.kernel_mask().numpy(), expected[-1])
    assert clone.units == 8
    with pytest.raises(ValueError, match="expects 5 inputs"):
        clone.build((None, 6))


def test_a_traced_made_stores_degrees_not_masks():
    """The graph of a SavedModel endpoint holds no [in, units] mask constant."""
    made = MADE(50, (512, 512), num_params=2)
    made.build((None, 50))
    graph = tf.function(made).get_concrete_function(
        tf.TensorSpec([None, 50], tf.float32)).graph.as_graph_def()
    constant_bytes = sum(len(node.attr["value"].tensor.tensor_content)
                         for node in graph.node if node.op == "Const")
    assert constant_bytes < 20_000   # the 3 masks would be 4 * 512 * (50 + 512 + 100) bytes


def test_a_saved_made_reloads_with_identical_outputs(tmp_path):
    inputs = keras.Input((5,))
    model = keras.Model(inputs, MADE(5, (8,), num_params=2, zero_init_output=False)(inputs))
    path = str(tmp_path / "made.keras")
    model.save(path)
    x = np.random.RandomState(1).randn(3, 5).astype(np.float32)
    np.testing.assert_array_equal(keras.models.load_model(path)(x), model(x))


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

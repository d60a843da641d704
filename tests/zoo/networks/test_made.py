"""MADE: outputs are autoregressive in the inputs, exactly."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.networks.made import MADE, made_degrees


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


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

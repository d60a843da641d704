"""The non-finite check of `apply_gradients_if_finite`: any NaN or infinity skips the step,
however large the finite values beside it (their sum would overflow float32)."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.models import finite_steps


def _step(gradient_values, jit_compile, in_place):
    """(applied, the variable after an SGD step, iterations) for a gradient `gradient_values`."""
    variable = keras.Variable(np.ones((70, 3), np.float32))
    optimizer = keras.optimizers.SGD(1e-37)
    optimizer.build([variable])

    @tf.function(jit_compile=jit_compile)
    def step(gradient):
        return finite_steps.apply_gradients_if_finite(
            optimizer, tf.constant(1.0), [gradient], [variable])

    if in_place:
        with finite_steps.updates_in_place():
            applied = step(gradient_values)
    else:
        applied = step(gradient_values)
    return bool(applied), variable.numpy(), int(optimizer.iterations.numpy())


@pytest.mark.parametrize("jit_compile,in_place", [(False, False), (True, False), (True, True)])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf, None])
def test_any_nonfinite_value_skips_and_huge_finite_values_do_not(bad, jit_compile, in_place):
    # Every value near float32's maximum: their sum (or sum of squares) overflows.
    gradient = np.full((70, 3), 3e38, np.float32)
    if bad is not None:
        gradient[69, 2] = bad
    applied, weights, iterations = _step(gradient, jit_compile, in_place)
    assert applied == (bad is None)
    assert iterations == int(applied)
    if applied:   # 1 - 1e-37 * 3e38
        np.testing.assert_allclose(weights, -29.0, rtol=1e-5)
    else:
        np.testing.assert_array_equal(weights, 1.0)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

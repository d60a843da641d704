"""The running log-sum-exp against scipy; `sum_all` against numpy."""

import math
import sys

import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

from zoo.numerics import accumulate_logsumexp, sum_all


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunks_folded_from_minus_infinity_equal_the_whole_sum(dtype):
    values = np.random.RandomState(0).normal(0, 30, size=(1000, 3)).astype(dtype)
    running = tf.fill([3], tf.constant(-math.inf, dtype))
    for start in range(0, 1000, 128):
        running = accumulate_logsumexp(running, values[start:start + 128])
    assert running.dtype == dtype
    np.testing.assert_allclose(running, logsumexp(values, axis=0),
                               rtol=1e-6 if dtype == np.float32 else 1e-12)
    # A Python -inf start takes the chunk's dtype.
    assert accumulate_logsumexp(-math.inf, values[:, 0]).dtype == dtype


# Sizes below, at and around the 64 columns that sum_all pads to, and a gradient's shape.
@pytest.mark.parametrize("shape", [(), (1,), (63,), (64,), (65,), (3, 3, 5, 7), (784, 300)])
@pytest.mark.parametrize("jit_compile", [False, True])
def test_sum_all_equals_numpys_sum(shape, jit_compile):
    x = np.random.RandomState(1).normal(1.0, 3.0, size=shape).astype(np.float32)
    total = tf.function(sum_all, jit_compile=jit_compile)(x)
    assert total.shape == () and total.dtype == tf.float32
    # float32 rounding of a sum in another order: relative to the sum of magnitudes.
    reference = np.sum(x, dtype=np.float64)
    assert abs(float(total) - reference) <= 1e-6 * np.sum(np.abs(x), dtype=np.float64) + 1e-6


@pytest.mark.parametrize("values,expected", [
    ([1.0, np.nan, 2.0], np.nan), ([1.0, np.inf, 2.0], np.inf), ([-np.inf, 1.0], -np.inf),
    ([np.inf, -np.inf], np.nan)])
@pytest.mark.parametrize("jit_compile", [False, True])
def test_sum_all_propagates_nan_and_infinity_as_reduce_sum(values, expected, jit_compile):
    x = np.zeros((130, 3), np.float32)
    x.flat[[5, 200, 389][:len(values)]] = values
    total = float(tf.function(sum_all, jit_compile=jit_compile)(x))
    np.testing.assert_equal(total, expected)
    np.testing.assert_equal(total, float(tf.reduce_sum(x)))


def test_sum_all_refuses_integers():
    with pytest.raises(TypeError, match="sum_all sums floating-point tensors; got int32"):
        sum_all(tf.constant([1, 2]))


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

"""The running log-sum-exp against scipy."""

import math
import sys

import numpy as np
import pytest
import tensorflow as tf
from scipy.special import logsumexp

from zoo.numerics import accumulate_logsumexp


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


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

"""AdamNormGrad's steps against a numpy implementation of the VampPrior code's optimizer."""

import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from trainers.optimizers import AdamNormGrad


def _numpy_adam_norm_grad(weights, gradients, lr, beta_1=0.9, beta_2=0.999, epsilon=1e-8):
    """Adam (the VampPrior code's form) on g / (||g||_2 + 1e-7), in float64."""
    w = weights.astype(np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    for t, g in enumerate(gradients, start=1):
        g = g.astype(np.float64) / (np.linalg.norm(g.astype(np.float64)) + 1e-7)
        m = beta_1 * m + (1 - beta_1) * g
        v = beta_2 * v + (1 - beta_2) * g * g
        step = lr * np.sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w = w - step * m / (np.sqrt(v) + epsilon)
    return w


# A tensor whose size is not a multiple of sum_all's 64 columns, and a bias.
@pytest.mark.parametrize("shape", [(70, 3), (5,)])
@pytest.mark.parametrize("jit_compile", [False, True])
def test_steps_equal_numpys(shape, jit_compile):
    rng = np.random.RandomState(0)
    weights = rng.normal(size=shape).astype(np.float32)
    gradients = [rng.normal(scale=10.0 ** k, size=shape).astype(np.float32) for k in (-3, 0, 2)]
    variable = keras.Variable(weights)
    optimizer = AdamNormGrad(learning_rate=0.01)
    optimizer.build([variable])
    step = tf.function(lambda g: optimizer.apply_gradients([(g, variable)]),
                       jit_compile=jit_compile)
    for g in gradients:
        step(g)
    np.testing.assert_allclose(variable.numpy(), _numpy_adam_norm_grad(weights, gradients, 0.01),
                               rtol=1e-5, atol=1e-6)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

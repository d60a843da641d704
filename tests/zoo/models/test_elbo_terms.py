"""The training loss of ElboTerms: beta-VAE weight and free bits per latent group."""

import sys

import numpy as np
import pytest
import tensorflow as tf

from zoo.models import ElboTerms


def _terms(z1_shift, z2_shift):
    """Terms whose batch-mean KL is 0.3 * z1_shift^2 for "z1" and 2 * z2_shift for "z2"."""
    log_px_z = tf.constant([-10.0, -12.0, -14.0])
    log_q = {"z1": tf.fill([3], 0.3) * tf.square(z1_shift), "z2": tf.fill([3], 2.0) * z2_shift}
    log_p = {"z1": tf.zeros([3]), "z2": tf.constant([0.5, -0.5, 0.0])}
    return ElboTerms(log_px_z, log_p, log_q)


def test_loss_without_free_bits_is_the_negative_mean_objective_even_for_negative_kl():
    for beta in (0.0, 0.3, 1.0, 4.0):
        terms = _terms(tf.constant(1.0), tf.constant(-1.0))     # KL of z2 is -2 on average
        np.testing.assert_allclose(terms.loss(beta).numpy(),
                                   -tf.reduce_mean(terms.objective(beta)).numpy(), rtol=1e-6)
    assert _terms(tf.constant(1.0), tf.constant(-1.0)).loss(1.0).numpy() == pytest.approx(
        12.0 + 0.3 - 2.0)


def test_free_bits_floor_each_groups_mean_kl_and_stop_its_gradient():
    z1_shift, z2_shift = tf.Variable(1.0), tf.Variable(2.0)    # mean KLs 0.3 and 4.0
    with tf.GradientTape() as tape:
        loss = _terms(z1_shift, z2_shift).loss(beta=2.0, free_bits=0.5)
    # -mean log p(x|z) + beta * (max(0.5, 0.3) + max(0.5, 4.0))
    assert loss.numpy() == pytest.approx(12.0 + 2.0 * (0.5 + 4.0))
    d_z1, d_z2 = tape.gradient(loss, [z1_shift, z2_shift])
    assert d_z1.numpy() == 0.0                                  # z1 is under its free bits
    assert d_z2.numpy() == pytest.approx(2.0 * 2.0)             # beta * d(2 * shift)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

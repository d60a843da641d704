"""Numerical helpers shared by the estimators and the training step."""

import tensorflow as tf

__all__ = ["accumulate_logsumexp", "sum_all"]

# Columns of the matrix that `sum_all` multiplies by ones.
_SUM_COLUMNS = 64


def accumulate_logsumexp(running, values, axis=0):
    """`log(exp(running) + sum(exp(values), axis))`: one chunk folded into a running log-sum-exp.

    The importance-sampling estimators (the log-likelihood, log Z, SIR's weight
    sums) see their samples a chunk at a time, so memory does not grow with
    their number; this is the one place their sums are combined. Exact from
    `running = -inf` (nothing summed yet); keeps `values`'s dtype (float64 for
    long sums).

    Args:
        running: `[...]`, the log-sum-exp so far.
        values: the chunk, `running`'s shape with the chunk axis `axis` added.
    """
    chunk = tf.reduce_logsumexp(values, axis=axis)
    return tf.reduce_logsumexp(tf.stack([tf.cast(running, chunk.dtype), chunk]), axis=0)


def sum_all(x):
    """The sum of all elements of floating `x` (any shape): `[]`, as a matrix-vector product.

    Written by hand because XLA's CPU backend emits the sum of a whole tensor as
    a scalar loop (about 1.1 ns an element on a Zen 4, ten times what the memory
    allows), while its matrix-vector products are vectorized: `x`, padded with
    zeros to a multiple of 64 elements, is viewed as `[n / 64, 64]` and multiplied
    by ones, which leaves 1/64 of the elements to the loop. For the 22 gradients
    of the gated-MLP VAE (1.1 million elements) under XLA: 0.23 ms against 1.3 ms
    for `tf.reduce_sum` (docs/benchmarks.md). The summation order is not
    `tf.reduce_sum`'s, so the two agree to float32 rounding. A NaN or an infinity
    among the elements makes the sum NaN or infinite, as it does `tf.reduce_sum`'s.
    """
    x = tf.convert_to_tensor(x)
    if not x.dtype.is_floating:
        raise TypeError(f"sum_all sums floating-point tensors; got {x.dtype.name}.")
    flat = tf.reshape(x, [-1])
    padding = -tf.size(flat) % _SUM_COLUMNS
    rows = tf.reshape(tf.pad(flat, [[0, padding]]), [-1, _SUM_COLUMNS])
    return tf.reduce_sum(tf.linalg.matvec(rows, tf.ones([_SUM_COLUMNS], x.dtype)))

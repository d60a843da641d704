"""Numerical helpers shared by the estimators."""

import tensorflow as tf

__all__ = ["accumulate_logsumexp"]


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

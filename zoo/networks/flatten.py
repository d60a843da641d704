"""Flattening the trailing axes of one example, keeping any leading (batch, sample) axes."""

import math

import tensorflow as tf

__all__ = ["flatten_trailing", "flattened_shape"]


def flattened_shape(shape, rank):
    """`[..., d_1, ..., d_rank]` -> `[..., d_1 * ... * d_rank]` for a static shape tuple."""
    shape = tuple(shape)
    return shape[:len(shape) - rank] + (math.prod(shape[len(shape) - rank:]),)


def flatten_trailing(x, rank):
    """Reshapes `x [..., d_1, ..., d_rank]` to `[..., d_1 * ... * d_rank]`; leading axes dynamic."""
    if rank == 1:
        return x
    flat = math.prod(x.shape[len(x.shape) - rank:])
    lead = tf.shape(x)[:len(x.shape) - rank]
    return tf.reshape(x, tf.concat([lead, [flat]], axis=0))

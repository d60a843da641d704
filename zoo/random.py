"""Stateless seeds for the zoo's stochastic layers.

Every random draw in the zoo is a `tf.random.stateless_*` op fed an int64 `[2]`
seed, so that a given seed always gives the same numbers (in eager mode, in a
`tf.function`, under XLA and in an exported graph). Layers that need fresh
randomness at every call own a `keras.random.SeedGenerator` and draw the next
seed from it.
"""

import keras
import tensorflow as tf

__all__ = ["as_seed", "fold_in", "replica_stateless_normal"]


def as_seed(seed, generator):
    """Returns an int64 `[2]` stateless seed.

    Args:
        seed: None (take the next seed of `generator`), a Python int, or an integer
            tensor of shape `[2]`.
        generator: the `keras.random.SeedGenerator` used when `seed` is None.
    """
    if seed is None:
        return tf.cast(generator.next(), tf.int64)
    if isinstance(seed, int):
        return tf.constant([seed, 0], tf.int64)
    if isinstance(seed, keras.random.SeedGenerator):
        return tf.cast(seed.next(), tf.int64)
    seed = tf.convert_to_tensor(seed)
    if seed.shape.rank != 1 or seed.shape[0] != 2:
        raise ValueError(f"A seed tensor must have shape [2]; got {seed.shape}.")
    return tf.cast(seed, tf.int64)


def fold_in(seed, data):
    """A new seed derived from `seed` and the integer `data` (e.g. a chunk index)."""
    return tf.random.experimental.stateless_fold_in(seed, tf.cast(data, tf.int64))


def replica_stateless_normal(shape, seed, batch_axis=-2, dtype=tf.float32):
    """`tf.random.stateless_normal(shape, seed)` for this replica's rows of the global batch.

    Under a `tf.distribute` strategy with n replicas in sync, each replica holds
    rows [r * b, (r + 1) * b) of the global batch (b = shape[batch_axis], the
    axis may be negative). This
    draws the noise of the whole global batch, `n * b` rows, and returns this
    replica's rows, so that an example's noise depends on the seed and its
    position in the global batch, not on how many replicas share the batch: a
    training step gives the same numbers on one device and on n. Outside a
    strategy (or with one replica) it is the plain draw.
    """
    context = tf.distribute.get_replica_context()
    replicas = 1 if context is None else context.num_replicas_in_sync
    if replicas == 1:
        return tf.random.stateless_normal(shape, seed, dtype=dtype)
    shape = tf.convert_to_tensor(shape, tf.int32)
    batch_axis %= shape.shape[0]
    rows = shape[batch_axis]
    global_shape = tf.tensor_scatter_nd_update(shape, [[batch_axis]], [rows * replicas])
    noise = tf.random.stateless_normal(global_shape, seed, dtype=dtype)
    begin = tf.one_hot(batch_axis, tf.size(shape), dtype=tf.int32) * (
        rows * tf.cast(context.replica_id_in_sync_group, tf.int32))
    return tf.slice(noise, begin, shape)

"""Stateless seeds for the zoo's stochastic layers.

Every random draw in the zoo is a `tf.random.stateless_*` op fed an int64 `[2]`
seed, so that a given seed always gives the same numbers (in eager mode, in a
`tf.function`, under XLA and in an exported graph). Layers that need fresh
randomness at every call own a `keras.random.SeedGenerator` and draw the next
seed from it.
"""

import keras
import tensorflow as tf

__all__ = ["as_seed", "fold_in"]


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

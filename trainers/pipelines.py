"""`tf.data` pipelines over `Splits`: shuffled training batches and evaluation batches."""

import numpy as np
import tensorflow as tf

from zoo.datasets import PIXELS

__all__ = ["eval_dataset", "train_dataset"]


# Batches made ahead of the step that takes them. One thread makes about a million
# images a second, far more than any model here takes.
_PREFETCH = 2


def _fixed_threads():
    """tf.data options without autotuning.

    With autotuning (`AUTOTUNE` parallelism and buffers) the training steps of
    a 2-core machine switched between two speeds from one epoch to the next,
    the slow one 1.6 times slower (gated-MLP VAE, AMD EPYC: 7,800 or 12,400
    images/s, where without autotuning every epoch ran at 12,100-12,400, both
    timed alternately in one process; a constant in-memory batch did the same,
    so it is the tuner, not the work). The work per batch is a gather and a comparison,
    which one thread does far faster than a step consumes it.
    """
    options = tf.data.Options()
    options.autotune.enabled = False
    return options


def train_dataset(images, batch_size, pixels, seed, initial_epoch=0,
                  shuffle=True):
    """An endless stream of training batches, `[batch, H, W, C]` float32 in {0, 1} (binary and
    dynamic pixels) or on the grid k / 255 (gray).

    Epoch e (counted from 0) visits `len(images) // batch_size` batches (the
    remainder is dropped, so every step has the same shape). Everything is a
    stateless function of (seed, epoch, step), so a run resumed at
    `initial_epoch` sees exactly the batches the uninterrupted run would have:
      - order: stateless_shuffle(range(N), seed=(seed, e));
      - "dynamic" pixels: x = [u < k / 255], u ~ U(0, 1) drawn with
        seed fold_in((seed, e), step), fresh every epoch;
      - "binary": the stored {0, 1} values;
      - "gray": x = k / 255.

    Args:
        images: uint8 `[N, H, W, C]`.
        batch_size: examples per step.
        pixels: one of `zoo.datasets.PIXELS` ("binary", "dynamic", "gray").
        seed: int.
        initial_epoch: first epoch to produce.
        shuffle: False keeps the stored order (for tests).
    """
    if pixels not in PIXELS:
        raise ValueError(f"pixels must be one of {PIXELS}; got {pixels!r}.")
    images = np.asarray(images)
    if images.dtype != np.uint8:
        raise ValueError(f"Training images must be uint8; got {images.dtype}.")
    steps = len(images) // batch_size
    if steps == 0:
        raise ValueError(f"{len(images)} training images make no batch of {batch_size}.")
    stored = tf.constant(images)
    seed = int(seed)

    def epoch_indices(epoch):
        order = tf.range(len(images), dtype=tf.int64)
        if shuffle:
            order = tf.random.experimental.stateless_shuffle(
                order, seed=tf.stack([tf.constant(seed, tf.int64), epoch]))
        batches = tf.reshape(order[:steps * batch_size], [steps, batch_size])
        return tf.data.Dataset.from_tensor_slices(batches).enumerate().map(
            lambda step, idx: (epoch, step, idx))

    def load(epoch, step, idx):
        x = tf.gather(stored, idx)
        if pixels == "binary":
            return tf.cast(x, tf.float32)
        if pixels == "gray":
            return tf.cast(x, tf.float32) / 255.0
        step_seed = tf.random.experimental.stateless_fold_in(
            tf.stack([tf.constant(seed, tf.int64), epoch]), step)
        u = tf.random.stateless_uniform(tf.shape(x), step_seed)
        return tf.cast(u * 255.0 < tf.cast(x, tf.float32), tf.float32)

    epochs = tf.data.Dataset.range(initial_epoch, np.iinfo(np.int64).max)
    return (epochs.flat_map(epoch_indices).map(load).prefetch(_PREFETCH)
            .with_options(_fixed_threads()))


def eval_dataset(images, batch_size):
    """Batches of float32 images `[batch, H, W, C]` as `Splits` holds them, in order."""
    return (tf.data.Dataset.from_tensor_slices(np.asarray(images, np.float32))
            .batch(batch_size).prefetch(_PREFETCH).with_options(_fixed_threads()))

"""Workarounds for known bugs of the pinned Keras (3.15), each in one place with its test.

tensorflow/tensorflow#72388: under `tf.distribute.MultiWorkerMirroredStrategy` in
multi-worker mode, Keras's TF trainer reduces every value a train or test step
returns with `strategy.reduce("MEAN", value, axis=0)`
(`keras/src/backend/tensorflow/trainer.py`, `reduce_per_replica`). A step's
logs are scalars, so `model.fit` fails with "Invalid reduction dimension 0 for
input with 0 dimensions". Giving each logged value a leading axis of length 1
makes that reduction the plain mean over the replicas, a scalar again.

`tests/trainers/test_multi_worker.py::test_keras_issue_72388_is_still_there`
trains a plain Keras model with two workers and fails, saying so, once Keras
no longer needs this; then delete this module and its one caller
(`VAE._record`).
"""

import tensorflow as tf

__all__ = ["reducible_step_logs"]


def _multi_worker():
    strategy = tf.distribute.get_strategy()
    return (isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy)
            and strategy.extended._in_multi_worker_mode())


def reducible_step_logs(logs):
    """The logs a train/test step returns, shaped `[1]` where Keras reduces along axis 0."""
    if not _multi_worker():
        return logs
    return {name: tf.reshape(value, [1]) for name, value in logs.items()}

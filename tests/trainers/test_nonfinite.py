"""Non-finite steps: skipped and counted; too many in a row stop the run, keeping the last
good checkpoint."""

import os
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.tiny_models import IMAGE_SHAPE, tiny_vae
from trainers import callbacks, optimizers


def _batches(*batches):
    return tf.data.Dataset.from_tensor_slices(np.stack(batches)).prefetch(1)


def _compiled(jit_compile, seed=1, steps_per_execution=1, optimizer=None):
    keras.utils.set_random_seed(0)
    model = tiny_vae("standard", seed=seed)
    model.compile(optimizer or keras.optimizers.Adam(1e-2), jit_compile=jit_compile,
                  steps_per_execution=steps_per_execution)
    return model


# Two steps per execution with XLA: both steps in one XLA while-loop
# (zoo.models.whole_executions).
@pytest.mark.parametrize("jit_compile,steps_per_execution,optimizer", [
    (False, 1, "adam"), (True, 1, "adam"), (True, 2, "adam"), (True, 2, "adam_norm_grad"),
    (True, 2, "adamax_ema"), (False, 1, "adamax_ema")])
def test_a_nonfinite_batch_is_skipped_and_counted(jit_compile, steps_per_execution, optimizer):
    rng = np.random.RandomState(0)
    good = (rng.rand(8, *IMAGE_SHAPE) > 0.5).astype(np.float32)
    poisoned = good.copy()
    poisoned[3, 0, 0, 0] = np.nan
    name, ema = (optimizer, None) if optimizer != "adamax_ema" else ("adamax", 0.9)
    with_nan, without = (
        _compiled(jit_compile, steps_per_execution=steps_per_execution,
                  optimizer=optimizers.build_optimizer(name, 1e-2, ema_momentum=ema))
        for _ in range(2))
    history = with_nan.fit(_batches(good, poisoned), epochs=1, verbose=0).history
    reference = without.fit(_batches(good), epochs=1, verbose=0).history
    # The poisoned step changed no weight and no optimizer state (moments,
    # step count, EMA averages).
    for a, b in zip(with_nan.weights + with_nan.optimizer.variables,
                    without.weights + without.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=a.path)
    assert int(with_nan.optimizer.iterations.numpy()) == 1
    assert int(with_nan.nonfinite_steps.numpy()) == 1
    assert int(with_nan.consecutive_nonfinite_steps.numpy()) == 1
    # Logged: the fraction of skipped steps; the other metrics average applied steps.
    assert history["nonfinite"] == [0.5]
    assert history["loss"] == pytest.approx(reference["loss"], rel=1e-6)
    with_nan.fit(_batches(good), epochs=1, verbose=0)
    assert int(with_nan.consecutive_nonfinite_steps.numpy()) == 0


class _PoisonBetaFromEpoch(keras.callbacks.Callback):
    """Makes every loss NaN from `epoch` on (the KL weight), leaving the weights intact."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_begin(self, epoch, logs=None):
        if epoch >= self.epoch:
            self.model.beta.assign(float("nan"))


def test_persistent_nonfinite_losses_stop_with_a_clear_error_keeping_the_good_checkpoint(
        tmp_path):
    rng = np.random.RandomState(1)
    images = (rng.rand(6, 8, *IMAGE_SHAPE) > 0.5).astype(np.float32)
    model = _compiled(jit_compile=True)
    checkpointer = callbacks.CheckpointAndEarlyStopping(str(tmp_path), patience=10)
    guard = callbacks.NonFiniteGuard(max_consecutive=4, checkpointer=checkpointer)
    with pytest.raises(callbacks.NonFiniteTrainingError) as error:
        model.fit(tf.data.Dataset.from_tensor_slices(images), epochs=3, verbose=0,
                  validation_data=tf.data.Dataset.from_tensor_slices(images[:2]),
                  callbacks=[_PoisonBetaFromEpoch(1), checkpointer, guard])
    message = str(error.value)
    assert message.startswith("4 consecutive training steps had a non-finite loss or gradient "
                              "(limit 4; 4 skipped in this run); stopping.")
    assert message.endswith(f"the last good checkpoint is kept: "
                            f"{os.path.join(str(tmp_path), 'ckpt-1.weights.h5')}.")
    state = callbacks.CheckpointAndEarlyStopping.load_state(str(tmp_path))
    assert state["epoch"] == 1 and state["checkpoint"] == "ckpt-1.weights.h5"
    # The checkpoint loads, and equals the model: the skipped steps changed nothing.
    restored = _compiled(jit_compile=True)
    restored.optimizer.build(restored.trainable_variables)
    restored.load_weights(os.path.join(str(tmp_path), "ckpt-1.weights.h5"))
    for a, b in zip(restored.trainable_weights, model.trainable_weights):
        assert np.all(np.isfinite(a.numpy()))
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_guard_logs_the_skipped_steps_and_refuses_a_zero_limit():
    with pytest.raises(ValueError, match="max_consecutive must be at least 1; got 0"):
        callbacks.NonFiniteGuard(0)
    rng = np.random.RandomState(2)
    good = (rng.rand(8, *IMAGE_SHAPE) > 0.5).astype(np.float32)
    bad = np.full_like(good, np.nan)
    model = _compiled(jit_compile=False)
    history = model.fit(_batches(good, bad, good, bad), epochs=1, verbose=0,
                        callbacks=[callbacks.NonFiniteGuard(2)]).history
    assert history["nonfinite_steps"] == [2] and history["nonfinite"] == [0.5]


def test_gradient_clipping_is_configured_on_the_optimizer():
    assert optimizers.build_optimizer("adam", 1e-3).global_clipnorm is None
    clipped = optimizers.build_optimizer("adam_norm_grad", 1e-3, clip_norm=5)
    assert clipped.global_clipnorm == 5.0
    # Adam's first moment after one step is (1 - beta_1) times the gradient it
    # was given: the gradient clipped to global norm 1.
    variable = keras.Variable(np.zeros(3, np.float32))
    optimizer = optimizers.build_optimizer("adam", 0.1, clip_norm=1.0)
    optimizer.apply_gradients([(tf.constant([1e6, 1e6, 0.0]), variable)])
    np.testing.assert_allclose(optimizer._momentums[0].numpy(),
                               0.1 * np.array([2 ** -0.5, 2 ** -0.5, 0.0]), rtol=1e-5)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

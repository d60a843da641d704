"""Whole executions: each of Keras's executions of N steps as one XLA call trains, validates
and stops at the end of data as Keras's own loop does: the same steps on the same batches,
the same results to float32 rounding (the skip of non-finite steps masks the update's
writes inside the execution and is a cond in Keras's step, and XLA rounds the update's
arithmetic of the two differently in the last bits)."""

import re
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.tiny_models import IMAGE_SHAPE, tiny_vae
from trainers.optimizers import build_optimizer
from zoo.models import whole_executions

BATCH = 8


def _images(num_batches, seed=0):
    rng = np.random.RandomState(seed)
    return (rng.rand(num_batches * BATCH, *IMAGE_SHAPE) > 0.5).astype(np.float32)


def _batches(images, drop_remainder=True):
    return tf.data.Dataset.from_tensor_slices(images).batch(BATCH, drop_remainder=drop_remainder)


def _trained(whole, prior, data, steps_per_execution=4, optimizer="adam_norm_grad",
             ema_momentum=None, jit_compile=True, **fit_kwargs):
    keras.utils.set_random_seed(0)
    model = tiny_vae(prior)
    model.whole_executions = whole
    model.compile(build_optimizer(optimizer, 1e-2, ema_momentum=ema_momentum),
                  jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    history = model.fit(data, verbose=0, **fit_kwargs).history
    return model, history


def _assert_same_state(a, b):
    # Rounding apart, not a step apart: one step moves a weight by about the
    # learning rate (1e-2), a thousand times the absolute tolerance.
    for x, y in zip(a.weights + a.optimizer.variables, b.weights + b.optimizer.variables):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-4, atol=1e-5, err_msg=x.path)


def _assert_same_history(a, b):
    assert sorted(a) == sorted(b)
    for key in a:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-5, atol=1e-7, err_msg=key)


@pytest.fixture
def decisions(monkeypatch):
    """Whether each execution ran as one XLA call (True) or went to Keras's loop."""
    taken = []
    plain = whole_executions._plain_dense_iterator

    def spy(iterator):
        taken.append(plain(iterator))
        return taken[-1]

    monkeypatch.setattr(whole_executions, "_plain_dense_iterator", spy)
    return taken


@pytest.mark.parametrize("prior,optimizer,ema", [("vamp", "adam_norm_grad", None),
                                                 ("standard", "adamax", 0.9)])
def test_training_and_validation_equal_kerass_loop(decisions, prior, optimizer, ema):
    # 10 steps an epoch at 4 per execution: executions of 4, 4 and 2 steps.
    data = _batches(_images(10))
    kwargs = dict(optimizer=optimizer, ema_momentum=ema, epochs=2, validation_data=data)
    keras_loop, keras_history = _trained(False, prior, data, **kwargs)
    assert decisions == []
    whole, history = _trained(True, prior, data, **kwargs)
    # Per epoch: 3 training and 3 validation executions.
    assert decisions == [True] * 12
    _assert_same_history(history, keras_history)
    assert int(whole.optimizer.iterations.numpy()) == 20
    _assert_same_state(whole, keras_loop)


def test_an_execution_cut_short_by_steps_per_epoch_takes_the_same_batches(decisions):
    # 6 steps an epoch of an endless stream, 4 per execution: Keras runs 4 + 4
    # steps (the second execution is not cut at the epoch's end) and fetches no
    # batch beyond those it trains on; so must a whole execution.
    data = _batches(_images(16)).repeat()
    kwargs = dict(epochs=2, steps_per_epoch=6)
    keras_loop, keras_history = _trained(False, "standard", data, **kwargs)
    whole, history = _trained(True, "standard", data, **kwargs)
    assert all(decisions) and len(decisions) == 4
    _assert_same_history(history, keras_history)
    assert int(whole.optimizer.iterations.numpy()) == int(keras_loop.optimizer.iterations.numpy())
    _assert_same_state(whole, keras_loop)


def test_batches_of_unknown_size_go_to_kerass_loop(decisions):
    # 10 images in batches of 8: the last batch has 2, so the batch size is unknown.
    data = _batches(_images(2)[:10], drop_remainder=False)
    keras_loop, keras_history = _trained(False, "standard", data, epochs=1)
    whole, history = _trained(True, "standard", data, epochs=1)
    assert decisions and not any(decisions)
    assert history == keras_history   # both Keras's loop: bit for bit
    for x, y in zip(whole.weights, keras_loop.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=x.path)


def test_an_execution_updates_the_weights_and_optimizer_slots_in_place():
    # XLA keeps a while loop's state in its buffers; an update it could not do in
    # place (a tf.cond around the optimizer's step did that; so did a select of
    # each variable's old or new value after the update, for Adam's moments)
    # shows up in the optimized HLO as copies of weights and slots at every step.
    data = _batches(_images(4))
    model, _ = _trained(True, "vamp", data, epochs=1)
    batches = tf.zeros((4, BATCH) + IMAGE_SHAPE)
    hlo = model.train_function.execution.experimental_get_compiler_ir(
        batches, tf.constant(4))(stage="optimized_hlo")
    state = model.trainable_weights + model.optimizer.variables
    state_shapes = {tuple(v.shape) for v in state if len(v.shape)}
    copied = [tuple(int(d) for d in shape.split(","))
              for shape in re.findall(r"= f32\[([\d,]+)\]\{[^}]*\} copy\(", hlo)]
    copied_bytes = sum(4 * np.prod(shape) for shape in copied if shape in state_shapes)
    state_bytes = sum(4 * np.prod(v.shape) for v in state)
    assert copied_bytes < 0.1 * state_bytes, (copied_bytes, state_bytes)


@pytest.mark.parametrize("jit_compile,steps_per_execution", [(True, 1), (False, 4)])
def test_one_step_per_execution_or_no_xla_is_kerass_own_function(jit_compile,
                                                                  steps_per_execution):
    model = tiny_vae("standard")
    model.compile(build_optimizer("adam", 1e-2), jit_compile=jit_compile,
                  steps_per_execution=steps_per_execution)
    model.make_train_function()
    model.make_test_function()
    for function in (model.train_function, model.test_function):
        assert "WholeExecutions" not in function.__qualname__


def test_train_on_batch_goes_to_kerass_loop(decisions):
    images = _images(1)
    model = tiny_vae("standard")
    model.compile(build_optimizer("adam", 1e-2), jit_compile=True, steps_per_execution=4)
    logs = model.train_on_batch(images, return_dict=True)
    assert decisions == [False]
    assert np.isfinite(logs["loss"]) and int(model.optimizer.iterations.numpy()) == 1


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

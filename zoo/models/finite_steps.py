"""Optimizer steps that are skipped, on every replica at once, when any value is not finite.

A NaN or an infinity in the loss or in one gradient on one replica must not
reach the weights or the optimizer's moments of any replica, and every replica
must take the same decision, or their weights drift apart.

How the step is skipped depends on where it is traced (`updates_in_place`):
inside XLA's loop of steps, by masking each write of the update; elsewhere
with a `tf.cond`.
"""

import contextlib
import threading

import keras
import tensorflow as tf

from zoo import numerics

__all__ = ["apply_gradients_if_finite", "updates_in_place"]

_tracing = threading.local()


@contextlib.contextmanager
def updates_in_place():
    """Steps traced inside it skip their update by masking its writes, not with a cond.

    For a step that runs inside an XLA loop of steps (`zoo.models.whole_executions`).
    There every write of the optimizer's update step (Keras's `assign`,
    `assign_add`, `assign_sub`) becomes `v <- where(finite, new value, v)`, and
    the variables the optimizer writes directly (its step count, EMA averages,
    constrained weights) keep their old values likewise; XLA fuses each select
    into the pass that computes the update, and updates the loop's buffers in
    place. Control flow cost more: a `tf.cond` made XLA copy every weight and
    optimizer slot back into the loop's buffers at every step (34 MB a step for
    the HVAE with a VampPrior), and a loop of at most one trip around the update,
    which avoided the copies, left the standard VAE 1.12x slower than the masked
    writes (docs/benchmarks.md). Selecting each variable's old or new value after
    an unmasked update would be simpler, but there XLA copies Adam's moments
    every step (the weight's update recomputes the new moments from the old ones,
    which the moments' own selects overwrite in place). In a step that XLA
    compiles on its own, and without XLA, a `tf.cond` skips. XLA fuses the two
    forms' arithmetic differently, so training inside and outside the loop agree
    to float32 rounding, not bit for bit.
    """
    previous = getattr(_tracing, "in_place", False)
    _tracing.in_place = True
    try:
        yield
    finally:
        _tracing.in_place = previous


def apply_gradients_if_finite(optimizer, loss, gradients, variables):
    """`optimizer.apply_gradients(zip(gradients, variables))` unless a value is not finite.

    Call in a replica context (a `train_step`); without a strategy, the default
    one counts as a single replica.

    Args:
        optimizer: a Keras optimizer.
        loss: this replica's loss (any shape).
        gradients: one per variable; None entries (unconnected variables) are
            ignored by the check.
        variables: the variables the gradients belong to.

    Returns:
        A scalar bool tensor: whether the step was applied (the same on every
        replica).
    """
    finite = _finite_on_every_replica([loss] + list(gradients))
    _apply_gradients_if(finite, optimizer, gradients, variables)
    return finite


def _finite_on_every_replica(tensors):
    """True when every value of `tensors` (None entries skipped) is finite, on every replica."""
    # The count of non-finite values, summed by `sum_all`: under XLA faster than
    # reduce_all(is_finite), which it emits as a scalar loop.
    counts = [numerics.sum_all(tf.cast(tf.logical_not(tf.math.is_finite(t)), tf.float32))
              for t in tensors if t is not None]
    local = tf.equal(tf.add_n(counts), 0.0)
    context = tf.distribute.get_replica_context()
    failures = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                  1.0 - tf.cast(local, tf.float32))
    return tf.equal(failures, 0.0)


def _apply_gradients_if(condition, optimizer, gradients, variables):
    """`optimizer.apply_gradients` when `condition` (the same on every replica) holds.

    A strategy that needs `merge_call` (MirroredStrategy, MultiWorkerMirrored)
    cannot call it inside a control-flow branch in a replica context, so the
    decision moves to the cross-replica context, as Keras's LossScaleOptimizer does.
    """
    def apply(gradients):
        optimizer.apply_gradients(zip(gradients, variables))

    if tf.__internal__.distribute.strategy_supports_no_merge_call():
        if getattr(_tracing, "in_place", False):
            _apply_masked(condition, optimizer, variables, lambda: apply(gradients))
        else:
            tf.cond(condition, lambda: apply(gradients), lambda: None)
        return

    def cross_replica(distribution, condition, gradients):
        first = distribution.experimental_local_results(condition)[0]
        tf.cond(first, lambda: distribution.extended.call_for_each_replica(
            apply, args=(gradients,)), lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(condition, gradients))


_MASKED_WRITES = {"assign": lambda old, value: value,
                  "assign_add": lambda old, value: old + value,
                  "assign_sub": lambda old, value: old - value}


def _apply_masked(condition, optimizer, variables, apply):
    """`apply()` (the update); each variable it writes keeps its value unless `condition`."""
    if not optimizer.built:   # as `apply_gradients` builds it
        with keras.name_scope(optimizer.name, caller=optimizer):
            optimizer.build(variables)
        optimizer.built = True
    state = list(variables) + list(optimizer.variables)
    # Read before `apply`; XLA drops the reads of variables whose writes are masked.
    old = [tf.identity(_tensor_variable(v)) for v in state]
    masked = set()

    def masked_write(name):
        def write(variable, value):
            target = _tensor_variable(variable)
            masked.add(id(target))
            value = tf.cast(value, target.dtype)
            target.assign(tf.where(condition, _MASKED_WRITES[name](target, value), target))
        return write

    # The update step writes through these methods (instance attributes shadow
    # the class's for this trace only).
    for name in _MASKED_WRITES:
        setattr(optimizer, name, masked_write(name))
    try:
        apply()
    finally:
        for name in _MASKED_WRITES:
            delattr(optimizer, name)
    for variable, value in zip(state, old):
        target = _tensor_variable(variable)
        if id(target) not in masked:
            target.assign(tf.where(condition, target, value))


def _tensor_variable(variable):
    """The `tf.Variable` of a Keras variable (or the variable itself)."""
    return variable.value if isinstance(variable, keras.Variable) else variable

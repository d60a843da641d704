"""Optimizer steps that are skipped, on every replica at once, when any value is not finite.

A NaN or an infinity in the loss or in one gradient on one replica must not
reach the weights or the optimizer's moments of any replica, and every replica
must take the same decision, or their weights drift apart.

How the step is skipped depends on where it is traced (`updates_in_place`):
inside XLA's loop of steps, a loop of at most one trip around the update;
elsewhere a `tf.cond`.
"""

import contextlib
import threading

import tensorflow as tf

from zoo import numerics

__all__ = ["apply_gradients_if_finite", "updates_in_place"]

_tracing = threading.local()


@contextlib.contextmanager
def updates_in_place():
    """Steps traced inside it skip their update with a loop of at most one trip, not a cond.

    For a step that runs inside an XLA loop of steps (`zoo.models.whole_executions`).
    XLA updates a while loop's state in place, whereas a conditional's results are
    new buffers: inside the loop of steps, a cond around the update made XLA copy
    every weight and optimizer slot back into the loop's buffers at every step
    (34 MB a step for the HVAE with a VampPrior; 4-20% of its training time).
    In a step that XLA compiles on its own the cond measured faster (the loop up to
    13% slower for the HVAE; its variables are that computation's parameters, and
    updating them in place presumably means copying them first). The two round
    the optimizer's arithmetic differently in the last bits (XLA fuses it
    differently), so training inside and outside the loop agree to float32
    rounding, not bit for bit.
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
        _if(condition, lambda: apply(gradients))
        return

    def cross_replica(distribution, condition, gradients):
        first = distribution.experimental_local_results(condition)[0]
        _if(first, lambda: distribution.extended.call_for_each_replica(apply, args=(gradients,)))

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(condition, gradients))


def _if(condition, side_effects):
    """Runs `side_effects()` (variable updates) if scalar bool `condition` holds."""
    if not getattr(_tracing, "in_place", False):
        tf.cond(condition, side_effects, lambda: None)
        return

    def body(trips):
        side_effects()
        return trips + 1

    tf.while_loop(lambda trips: trips < tf.cast(condition, tf.int32), body, [tf.constant(0)])

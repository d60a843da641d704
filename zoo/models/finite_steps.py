"""Optimizer steps that are skipped, on every replica at once, when any value is not finite.

A NaN or an infinity in the loss or in one gradient on one replica must not
reach the weights or the optimizer's moments of any replica, and every replica
must take the same decision, or their weights drift apart.
"""

import tensorflow as tf

__all__ = ["apply_gradients_if_finite"]


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
    local = tf.reduce_all([tf.reduce_all(tf.math.is_finite(t)) for t in tensors if t is not None])
    context = tf.distribute.get_replica_context()
    failures = context.all_reduce(tf.distribute.ReduceOp.SUM,
                                  1.0 - tf.cast(local, tf.float32))
    return tf.equal(failures, 0.0)


def _apply_gradients_if(condition, optimizer, gradients, variables):
    """`optimizer.apply_gradients` when `condition` (the same on every replica) holds.

    A strategy that needs `merge_call` (MirroredStrategy, MultiWorkerMirrored)
    cannot call it inside a `tf.cond` in a replica context, so the cond moves
    to the cross-replica context, as Keras's LossScaleOptimizer does.
    """
    def apply(gradients):
        optimizer.apply_gradients(zip(gradients, variables))

    if tf.__internal__.distribute.strategy_supports_no_merge_call():
        tf.cond(condition, lambda: apply(gradients), lambda: None)
        return

    def cross_replica(distribution, condition, gradients):
        first = distribution.experimental_local_results(condition)[0]
        tf.cond(first,
                lambda: distribution.extended.call_for_each_replica(apply, args=(gradients,)),
                lambda: None)

    tf.distribute.get_replica_context().merge_call(cross_replica, args=(condition, gradients))

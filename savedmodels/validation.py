"""Input checks that run inside exported graphs, before any computation.

A serving client (TF Serving, `saved_model_cli`, C++ `LoadSavedModel`, Python
`tf.saved_model.load`) can feed any tensor to a signature. The signatures
therefore declare their inputs with an unknown shape and check rank, shape,
values and ranges here, at run time, all of an input's checks in one Assert
that the computation waits for: a bad request fails with
INVALID_ARGUMENT and a message naming the signature, the input and the problem,
never with a crash in a later op or a silently wrong number.

Why unknown shapes: with a declared shape, graph optimizers fold `tf.rank(x)`
and known dimensions into constants, so a fed tensor of another shape (which
the C++ session does not check against the placeholder) would pass every
check. The documented shapes are in the export's `assets.extra/zoo_export.json`.

Wrong dtypes never reach these checks: the runtime refuses a tensor whose
dtype differs from the signature's with INVALID_ARGUMENT ("expected to be a
float tensor but is a double tensor").
"""

import tensorflow as tf

__all__ = ["checked_batch", "checked_count", "checked_scalar", "checked_work", "require_all"]


def _text(value):
    return tf.strings.format("{}", value, summarize=8)


def require_all(value, checks):
    """`value`, passed on only once every check holds.

    Args:
        value: a tensor.
        checks: a list of `(ok, message)`: `ok` a bool scalar tensor, `message`
            a string or string scalar tensor. Every `ok` must be computable for
            any fed tensor (no op that fails on a wrong shape), since the
            runtime may evaluate them in any order.

    Returns:
        `value` through an identity that runs after one Assert, which raises
        INVALID_ARGUMENT "assertion failed: [<the first failing message>]".
    """
    oks = tf.stack([ok for ok, _ in checks])
    first_failure = tf.argmin(tf.cast(oks, tf.int32))
    message = tf.gather(tf.stack([tf.convert_to_tensor(m, tf.string) for _, m in checks]),
                        first_failure)
    check = tf.debugging.Assert(tf.reduce_all(oks), [message])
    with tf.control_dependencies([check]):
        return tf.identity(value)


def _rank_and_dims(value, rank):
    """The fed tensor's rank test and its first `rank + 1` dims, padded with -1.

    Both come from the run-time `tf.shape(value)`, not from `tf.rank`: a graph
    optimizer may fold `tf.rank` into a constant when it believes it knows the
    rank, whereas the padded shape always holds the fed dims (-1 past the last).
    """
    padded = tf.concat([tf.shape(value), tf.fill([rank + 1], -1)], axis=0)[:rank + 1]
    has_rank = tf.equal(padded[rank], -1) & (rank == 0 or padded[rank - 1] >= 0)
    return has_rank, padded[:rank]


def checked_batch(value, name, signature, event_shape, value_range=None, support=None,
                  max_batch=None):
    """Checks a batch `[batch, *event_shape]` of finite values, at most `max_batch` of them.

    Args:
        value: the fed tensor, any shape.
        name, signature: the input's and the signature's names, for messages.
        event_shape: the shape of one example, e.g. `(28, 28, 1)`.
        value_range: None or (low, high), inclusive bounds of every value.
        support: None or (predicate, description): `predicate(values)` is a bool
            scalar that holds when every value is one the model is defined on.
        max_batch: None or the most examples per request (the size check runs
            first, so an oversized request is refused before its values are read).

    Returns:
        `value` with the static shape `[None, *event_shape]`, after the checks.
    """
    rank = len(event_shape) + 1
    shape_text = "[batch, " + ", ".join(str(d) for d in event_shape) + "]"
    where = f"{signature}: {name}"
    has_rank, dims = _rank_and_dims(value, rank)
    # Reductions run on the flattened values, whose rank is always 1.
    flat = tf.reshape(value, [-1])
    checks = [
        (has_rank, tf.strings.join([f"{where} must have rank {rank}, shape {shape_text}; "
                                    "got shape ", _text(tf.shape(value))])),
        (has_rank & tf.reduce_all(tf.equal(dims[1:], event_shape)),
         tf.strings.join([f"{where} must have shape {shape_text}; got shape ",
                          _text(tf.shape(value))])),
        (tf.reduce_all(tf.math.is_finite(flat)),
         f"{where} holds non-finite values (NaN or infinity)"),
    ]
    if max_batch is not None:
        checks.insert(2, (dims[0] <= max_batch, tf.strings.join([
            f"{where} holds ", _text(dims[0]), f" examples; at most {max_batch} per request "
            "(limit max_batch)"])))
    if value_range is not None:
        low, high = value_range
        checks.append((tf.reduce_all((flat >= low) & (flat <= high)), tf.strings.join([
            f"{where} must lie in [{low:g}, {high:g}]; got values from ",
            _text(tf.reduce_min(flat)), " to ", _text(tf.reduce_max(flat))])))
    if support is not None:
        predicate, description = support
        checks.append((predicate(flat), f"{where} must hold {description}"))
    # A reshape, not tf.ensure_shape: both are no-ops on a checked tensor, but
    # optimizers take EnsureShape's shape as the fed tensor's and fold the checks.
    return tf.reshape(require_all(value, checks), (-1,) + tuple(event_shape))


def _scalar_check(value, name, signature):
    is_scalar, _ = _rank_and_dims(value, 0)
    return (is_scalar, tf.strings.join([
        f"{signature}: {name} must be a scalar (rank 0); got shape ", _text(tf.shape(value))]))


def checked_scalar(value, name, signature):
    """Checks that `value` is a scalar; returns it with a static scalar shape."""
    return tf.reshape(require_all(value, [_scalar_check(value, name, signature)]), [])


def checked_work(batch, num_samples, signature, maximum):
    """Checks that `batch x num_samples` (checked scalars) is at most `maximum`; returns
    `num_samples`."""
    work = tf.cast(batch, tf.int64) * tf.cast(num_samples, tf.int64)
    return require_all(num_samples, [(work <= maximum, tf.strings.join([
        f"{signature}: ", _text(batch), " examples x ", _text(num_samples),
        " samples = ", _text(work), f" importance samples; at most {maximum} per request "
        "(limit max_log_likelihood_work): send fewer examples per request"]))])


def checked_count(value, name, signature, maximum):
    """Checks a scalar integer in [1, maximum]; returns it with a static scalar shape."""
    flat = tf.reshape(value, [-1])
    in_range = tf.reduce_all((flat >= 1) & (flat <= maximum))
    checks = [_scalar_check(value, name, signature),
              (in_range, tf.strings.join([
                  f"{signature}: {name} must be between 1 and {maximum}; got ", _text(value)]))]
    return tf.reshape(require_all(value, checks), [])

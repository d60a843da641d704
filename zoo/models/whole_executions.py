"""Each of Keras's multi-step executions as one XLA computation.

With `compile(jit_compile=True, steps_per_execution=N)`, Keras 3 runs an
execution as a TensorFlow while-loop that fetches one batch and launches the
XLA-compiled step, N times (`keras/src/backend/tensorflow/trainer.py`,
`_make_function`). Every launch hands XLA all the model's and the optimizer's
variables again, and the loop threads `tf.experimental.Optional`s and conds
between launches: per-step costs that weigh most where the layers are small.

`WholeExecutions.make_train_function` (and `make_test_function`) instead
fetch the execution's up to N batches first, stacked into `[N, batch, ...]`,
and run the N steps as a `tf.while_loop` inside one `jit_compile` function.
The steps, their order and the batches they see are the same; so are the
returned logs (the last step's) and the end of data: an execution that finds
only n < N batches left runs n steps, one that finds none raises
`StopIteration`, as Keras's does. The step is traced once, inside
`finite_steps.updates_in_place`: its skip of non-finite updates masks each
write of the update rather than running it in a cond, so that XLA updates the
weights and optimizer slots in place in the loop's buffers (with a cond it
copied them all at every step). XLA rounds that update's arithmetic
differently in the last bits, so the results equal Keras's loop's to float32
rounding, not bit for bit (tested).

Measured on an AMD EPYC Zen 3 (docs/benchmarks.md, "Whole executions"), against
Keras's loop: side by side, the HVAE with a VampPrior 1.14x and the 8-step IAF
posterior 1.12x; as the product of two side-by-side measurements, the VampPrior
VAE about 1.05x, the standard HVAE 1.07x, the standard VAE 1.2x, the flow and
MoG priors 1.3x and more.

Everything else goes to Keras's own function: a model not jit-compiled, one
step per execution, `run_eagerly`, a `tf.distribute` strategy's distributed
iterator, data that is not a `tf.data` iterator (`train_on_batch`), and
elements that are not dense tensors of fully known shapes (a dataset whose
last batch may be smaller, say), because a second shape would mean a second
XLA compilation of the whole loop.
"""

import tensorflow as tf

from zoo.models import finite_steps

__all__ = ["WholeExecutions"]


class WholeExecutions:
    """Keras model mixin: each execution of `steps_per_execution` steps is one XLA call.

    Put it before `keras.Model` among the bases. Set the class or instance
    attribute `whole_executions = False` to keep Keras's own loop (e.g. to
    compare the two).
    """

    whole_executions = True

    def make_train_function(self, force=False):
        if force or self.train_function is None:
            super().make_train_function(force=True)
            self.train_function = self._whole_execution_function(self.train_step,
                                                                 self.train_function)
        return self.train_function

    def make_test_function(self, force=False):
        if force or self.test_function is None:
            super().make_test_function(force=True)
            self.test_function = self._whole_execution_function(self.test_step,
                                                                self.test_function)
        return self.test_function

    def _whole_execution_function(self, step_function, keras_function):
        """Keras's `keras_function`, or one that runs each execution in one XLA call."""
        if (not self.whole_executions or self.run_eagerly or self.jit_compile is not True
                or self.steps_per_execution <= 1):
            return keras_function
        steps = int(self.steps_per_execution)
        strategy = self.distribute_strategy

        def step(batch):
            return strategy.run(step_function, args=(batch,))

        @tf.function
        def fetch(iterator):
            """(n, the execution's n <= steps batches stacked `[steps, ...]`, zeros past n)."""
            arrays = tf.nest.map_structure(
                lambda spec: tf.TensorArray(spec.dtype, size=steps, element_shape=spec.shape),
                iterator.element_spec)

            def more(n, optional, arrays):
                return tf.logical_and(n < steps, optional.has_value())

            def take(n, optional, arrays):
                arrays = tf.nest.map_structure(lambda array, value: array.write(n, value),
                                               arrays, optional.get_value())
                # No fetch past the execution's last step: that batch is the next one's.
                optional = tf.cond(n + 1 < steps, iterator.get_next_as_optional,
                                   lambda: optional)
                return n + 1, optional, arrays

            n, _, arrays = tf.while_loop(
                more, take, (tf.constant(0), iterator.get_next_as_optional(), arrays))
            return n, tf.nest.map_structure(lambda array: array.stack(), arrays)

        traced_step = []   # the step, traced once, on the first trace of `run`

        @tf.function(jit_compile=True)
        def run(batches, n):
            """The first n steps on `batches` `[steps, ...]`; the last step's logs."""
            def nth(i):
                return tf.nest.map_structure(lambda stacked: stacked[i], batches)

            if not traced_step:
                # Traced on its own, so that the loop below can start from
                # zeros of the structure of its logs; the loop calls this trace.
                spec = tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), nth(0))
                with finite_steps.updates_in_place():
                    traced_step.append(tf.function(step).get_concrete_function(spec))
            one_step = traced_step[0]
            initial = tf.nest.map_structure(lambda t: tf.zeros(t.shape, t.dtype),
                                            one_step.structured_outputs)
            _, logs = tf.while_loop(lambda i, _: i < n, lambda i, _: (i + 1, one_step(nth(i))),
                                    (tf.constant(0), initial))
            return logs

        def function(iterator):
            if not _plain_dense_iterator(iterator):
                return keras_function(iterator)
            n, batches = fetch(iterator)
            if int(n) == 0:
                raise StopIteration
            return run(batches, n)

        function.execution = run   # the jit function, to inspect (e.g. its optimized HLO)
        return function


def _plain_dense_iterator(iterator):
    """Whether `iterator` is a `tf.data` iterator of dense tensors of fully known shapes."""
    if (not isinstance(iterator, tf.data.Iterator)
            or isinstance(iterator, tf.distribute.DistributedIterator)):
        return False
    specs = tf.nest.flatten(iterator.element_spec)
    return all(type(spec) is tf.TensorSpec and spec.shape.is_fully_defined() for spec in specs)

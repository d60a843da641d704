"""The benchmark suite's measuring pieces: FLOP counts, families, CPU detection."""

import sys

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import measure
from trainers import experiments


def test_graph_flops_counts_a_matmul_and_a_convolution():
    x = tf.zeros([8, 5])
    w = tf.zeros([5, 3])
    images = tf.zeros([2, 6, 6, 4])
    kernel = tf.zeros([3, 3, 4, 7])
    matmul = tf.function(lambda x: tf.matmul(x, w))
    conv = tf.function(lambda x: tf.nn.conv2d(x, kernel, strides=1, padding="SAME"))
    assert measure.graph_flops(matmul, x) == 2 * 8 * 5 * 3
    assert measure.graph_flops(conv, images) == 2 * (2 * 6 * 6 * 7) * (3 * 3 * 4)


def test_train_flops_of_a_dense_layer_are_forward_and_backward():
    """y = x W: the forward pass and the weight gradient, 2 * 2 * B * n * m (x needs none),
    plus the few elementwise FLOPs of the loss's sums that TF's profiler counts."""

    class Linear(tf.Module):
        def __init__(self):
            self.w = tf.Variable(np.ones([6, 4], np.float32))

        def elbo_terms(self, x, seed=None):
            class Terms:
                elbo = tf.reduce_sum(tf.matmul(x, self.w), axis=-1)
            return Terms

    matmuls = 2 * 2 * 6 * 4
    assert matmuls <= measure.train_flops_per_image(Linear(), tf.zeros([10, 6])) < 1.1 * matmuls


def test_every_family_is_a_registered_experiment_with_whole_executions():
    for name, family in measure.FAMILIES.items():
        zoo, baseline = measure.configs(family)
        assert zoo.name == family.experiment, name
        assert baseline.train.steps_per_execution == 1 and not baseline.train.jit_compile
        assert family.executions >= 1
    known = set(experiments.EXPERIMENTS.names())
    assert {f.experiment for f in measure.FAMILIES.values()} <= known
    for references in measure.REFERENCE_IMAGES_PER_S.values():
        assert set(references) <= set(measure.FAMILIES)


def test_cpu_names_a_kind():
    name, kind, avx512 = measure.cpu()
    assert kind in ("amd", "intel", "other")
    assert isinstance(avx512, bool) and name


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

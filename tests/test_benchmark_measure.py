"""The benchmark suite's measuring pieces: FLOP counts, families, CPU detection."""

import dataclasses
import sys

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import measure
from tests import tiny_models
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


def test_eval_flops_count_the_work_per_sample_and_leave_out_the_work_per_call():
    """x W once per image (480 FLOPs), then z V per sample (40 FLOPs) and a sum over the
    outputs (5): only the last two grow with S."""

    class TwoStage(tf.Module):
        def __init__(self):
            self.w = tf.Variable(np.ones([60, 4], np.float32))
            self.v = tf.Variable(np.ones([4, 5], np.float32))

        def elbo_terms(self, x, num_samples=1, seed=None):
            h = tf.matmul(x, self.w)                                      # [batch, 4]
            z = tf.broadcast_to(h, [num_samples] + h.shape.as_list())
            out = tf.matmul(tf.reshape(z, [-1, 4]), self.v)               # [S * batch, 5]

            class Terms:
                elbo = tf.reduce_sum(out)
            return Terms

    per_sample = 2 * 4 * 5
    flops = measure.eval_flops_per_sample(TwoStage(), tf.zeros([3, 60]))
    assert per_sample <= flops < 1.2 * per_sample


def test_eval_flops_of_a_vampprior_leave_out_the_pseudo_inputs_encoding():
    """Per sample, a VampPrior adds its mixture density (two [1, D] x [D, K] matmuls and
    elementwise work over K) to the standard prior's cost, and the same at any chunk;
    its K pseudo-inputs are encoded once per call (thousands of FLOPs here, which
    would dominate at one image and two samples)."""
    x = tf.zeros((1,) + tiny_models.IMAGE_SHAPE)
    standard = measure.eval_flops_per_sample(tiny_models.tiny_vae("standard"), x, chunk=2)
    vamp_model = tiny_models.tiny_vae("vamp")
    vamp = measure.eval_flops_per_sample(vamp_model, x, chunk=2)
    assert vamp == measure.eval_flops_per_sample(vamp_model, x, chunk=5)
    mixture = 2 * 2 * tiny_models.LATENT_DIM * vamp_model.prior.num_components
    assert mixture <= vamp - standard < 2 * mixture


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
    assert {f.paper_code for f in measure.FAMILIES.values()} - {None} <= set(measure.FAMILIES)


def test_the_bfloat16_family_is_its_float32_family_with_bfloat16_gated_convs():
    bf16, bf16_baseline = measure.configs(measure.FAMILIES["convhvae_vamp_bf16"])
    f32, f32_baseline = measure.configs(measure.FAMILIES["convhvae_vamp"])
    assert (bf16.train.gated_conv_dtype, f32.train.gated_conv_dtype) == ("bfloat16", "float32")
    assert bf16 == dataclasses.replace(f32, train=dataclasses.replace(
        f32.train, gated_conv_dtype="bfloat16"))
    assert bf16_baseline == f32_baseline      # "zoo / baseline" is bfloat16's gain


def test_cpu_names_a_kind():
    name, kind, avx512 = measure.cpu()
    assert kind in ("amd_avx2", "amd_avx512", "intel_avx2", "intel_avx512", "other")
    assert isinstance(avx512, bool) and name


@pytest.mark.parametrize("model, flags, kind", [
    ("AMD EPYC", "fpu sse avx avx2 fma", "amd_avx2"),                      # Zen 3
    ("AMD EPYC", "fpu avx2 avx512f avx512_bf16 avx512_vnni", "amd_avx512"),  # Zen 4
    ("Intel(R) Xeon(R) Platinum", "avx2 avx512f amx_bf16", "intel_avx512"),
    ("ARM Neoverse", "fp asimd", "other"),
])
def test_cpu_tells_kinds_apart_by_vendor_and_avx512(model, flags, kind):
    cpuinfo = f"processor\t: 0\nmodel name\t: {model}\nflags\t\t: {flags}\n\n" * 2
    assert measure.cpu(cpuinfo) == (model, kind, "avx512f" in flags)


def test_every_reference_is_keyed_by_a_cpu_kind():
    kinds = {"amd_avx2", "amd_avx512", "intel_avx2", "intel_avx512"}
    assert set(measure.REFERENCE_IMAGES_PER_S) <= kinds
    assert set(measure.REFERENCE_IS_SAMPLES_PER_S) <= kinds


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

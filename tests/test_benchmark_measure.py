"""The benchmark suite's measuring pieces: FLOP counts, families, CPU detection."""

import dataclasses
import itertools
import sys
import types

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


@pytest.mark.parametrize("adj_x,adj_y", [(True, False), (False, True), (False, False)])
def test_graph_flops_count_a_batch_matmul_with_an_adjoint_by_its_shapes(adj_x, adj_y):
    """[1, 100, 64]^T [1, 100, 32] (a weight gradient) is 2 * 64 * 32 * 100 FLOPs; TF's
    profiler alone counts 2 * 64 * 32 * 64 for it. Beside it a MatMul, counted as before."""
    x = tf.zeros([1, 100, 64])
    y = {(True, False): tf.zeros([1, 100, 32]), (False, True): tf.zeros([32, 64]),
         (False, False): tf.zeros([64, 32])}[(adj_x, adj_y)]
    expected = {(True, False): 2 * 64 * 32 * 100}.get((adj_x, adj_y), 2 * 100 * 64 * 32)
    w = tf.zeros([5, 3])
    both = tf.function(lambda x, y: (tf.raw_ops.BatchMatMulV2(x=x, y=y, adj_x=adj_x, adj_y=adj_y),
                                     tf.matmul(tf.zeros([8, 5]), w)))
    assert measure.graph_flops(both, x, y) == expected + 2 * 8 * 5 * 3


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


def test_graph_flops_count_a_batch_matmul_v3_by_its_shapes():
    """BatchMatMulV3 (typed by Ta, Tb, Tout rather than T) is counted like V2."""
    v3 = tf.function(lambda x, y: tf.raw_ops.BatchMatMulV3(x=x, y=y, Tout=tf.float32,
                                                            adj_x=True, adj_y=False))
    assert measure.graph_flops(v3, tf.zeros([1, 100, 64]), tf.zeros([1, 100, 32])) == \
        2 * 64 * 32 * 100


class _TwoLayerMLP(tf.Module):
    """elbo = sum(relu(x W1) W2): x [batch, 6], W1 [6, 5], W2 [5, 3]."""

    def __init__(self):
        self.w1 = tf.Variable(np.ones([6, 5], np.float32))
        self.w2 = tf.Variable(np.ones([5, 3], np.float32))

    def elbo_terms(self, x, seed=None):
        out = tf.matmul(tf.nn.relu(tf.matmul(x, self.w1)), self.w2)

        class Terms:
            elbo = tf.reduce_sum(out, axis=-1)
        return Terms


def test_step_matrix_products_are_the_forward_and_backward_products():
    """Forward x W1 and h W2; backward the gradient of h (g W2^T) and of both weights
    (h^T g, x^T dh); x needs no gradient."""
    products = measure.step_matrix_products(_TwoLayerMLP(), tf.zeros([10, 6]))
    found = sorted((p.lhs_shape, p.rhs_shape, p.transpose_lhs, p.transpose_rhs) for p in products)
    assert found == sorted([((10, 6), (6, 5), False, False), ((10, 5), (5, 3), False, False),
                            ((10, 3), (5, 3), False, True), ((10, 5), (10, 3), True, False),
                            ((10, 6), (10, 5), True, False)])
    assert sum(p.flops for p in products) == 2 * 10 * (30 + 15 + 15 + 15 + 30)


@pytest.mark.parametrize("transpose_lhs,transpose_rhs", [(False, False), (True, False),
                                                         (False, True), (True, True)])
def test_matrix_product_computes_and_counts_as_numpy(transpose_lhs, transpose_rhs):
    """A broadcast batch matmul, [2, 1, a, b] x [3, c, d], with each transpose flag."""
    rng = np.random.RandomState(0)
    lhs = rng.randn(2, 1, *((4, 3) if transpose_lhs else (3, 4))).astype(np.float32)
    rhs = rng.randn(3, *((5, 4) if transpose_rhs else (4, 5))).astype(np.float32)
    product = measure.MatrixProduct("BatchMatMulV2", lhs.shape, rhs.shape,
                                    transpose_lhs, transpose_rhs)
    a = np.swapaxes(lhs, -1, -2) if transpose_lhs else lhs
    b = np.swapaxes(rhs, -1, -2) if transpose_rhs else rhs
    np.testing.assert_allclose(product(tf.constant(lhs), tf.constant(rhs)).numpy(), a @ b,
                               rtol=1e-5, atol=1e-5)
    assert product.flops == 2 * (2 * 3) * 3 * 5 * 4
    matmul = measure.MatrixProduct("MatMul", lhs.shape[-2:], rhs.shape[-2:],
                                   transpose_lhs, transpose_rhs)
    np.testing.assert_allclose(matmul(tf.constant(lhs[0, 0]), tf.constant(rhs[0])).numpy(),
                               a[0, 0] @ b[0], rtol=1e-5, atol=1e-5)
    assert matmul.flops == 2 * 3 * 5 * 4


def test_matrix_products_rate_is_their_flops_times_steps_over_the_median_timing(monkeypatch):
    """With a clock that advances 2 s per timing, 3 steps of two products (120 and 30
    FLOPs) run at 3 * 150 / 2 FLOP/s."""
    ticks = itertools.count()
    clock = types.SimpleNamespace(perf_counter=lambda: 2 * next(ticks))
    monkeypatch.setattr(measure, "time", clock)
    products = [measure.MatrixProduct("MatMul", (3, 4), (4, 5)),
                measure.MatrixProduct("MatMul", (3, 5), (1, 5), transpose_rhs=True)]
    assert [p.flops for p in products] == [120, 30]
    gflops = measure.matrix_products_gflops(products, steps=3, repeats=3)
    assert gflops == pytest.approx(3 * 150 / 2 / 1e9)
    with pytest.raises(ValueError, match="No matrix products"):
        measure.matrix_products_gflops([])


def test_the_suite_table_shows_the_products_rate_where_measured():
    row = dict(zoo_images_per_s=1000.0, zoo_best_images_per_s=1100.0,
               baseline_images_per_s=500.0, baseline_best_images_per_s=550.0,
               train_flops_per_image=50e6, compile_s=3.0, train_peak_rss_mb=900.0,
               is_samples_per_s=1e4, eval_flops_per_sample=1e6,
               full_test_set_s5000_hours=0.5, eval_peak_rss_mb=800.0)
    table = measure.format_table({"vae_standard": {**row, "products_gflops": 100.0},
                          "vae_mog": {**row, "products_gflops": None}}, "other", 200.0)
    header, _, measured, unmeasured = table.splitlines()
    assert header.count("|") == measured.count("|") == unmeasured.count("|") == 17
    assert "| 50.0 (25%) | 100.0 (50%) |" in measured   # 1000 images/s x 50 MFLOP
    assert "| 50.0 (25%) | - |" in unmeasured


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

"""What the benchmark suite measures with: the families, the papers' figures, FLOP counts, the CPU,
and the table it prints.

A library without flags, so that tests and other programs can import it.
"""

import dataclasses
import resource
import time
import weakref
from typing import Optional

import numpy as np

from trainers import cpu_features

__all__ = ["FAMILIES", "Family", "MatrixProduct", "REFERENCE_IMAGES_PER_S",
           "REFERENCE_IS_SAMPLES_PER_S", "configs", "cpu", "eval_flops_per_sample", "format_table",
           "graph_flops", "machine_gflops", "matrix_products_gflops", "peak_rss_mb", "ratio",
           "step_matrix_products", "train_flops_per_image"]


@dataclasses.dataclass(frozen=True)
class Family:
    """Attributes:
        experiment: the registered experiment measured.
        executions: executions per timing (each `steps_per_execution` steps).
        steps_per_execution: overrides the experiment's for models whose step
            takes seconds (the per-call overhead it amortizes is then nil).
        eval_samples: S of the timed `log_likelihood` call on one batch.
        gated_conv_dtype: overrides the experiment's `TrainConfig.gated_conv_dtype`
            (the baseline keeps float32, so "zoo / baseline" is the gain of bfloat16).
        paper_code: the family whose figures of the paper's code this one is
            compared with (None: its own).
    """

    experiment: str
    executions: int = 2
    steps_per_execution: Optional[int] = None
    eval_samples: int = 1000
    gated_conv_dtype: Optional[str] = None
    paper_code: Optional[str] = None


FAMILIES = {
    "vae_standard": Family("vae_standard_static_mnist"),
    "vae_vamp": Family("vae_vamp_static_mnist"),
    "vae_mog": Family("vae_mog_static_mnist"),
    "vae_realnvp20": Family("vae_realnvp20_static_mnist"),
    "vae_maf4": Family("vae_maf4_static_mnist"),
    "hvae_standard": Family("hvae_standard_static_mnist"),
    "hvae_vamp": Family("hvae_vamp_static_mnist"),
    "convhvae_vamp": Family("convhvae_vamp_static_mnist", executions=1,
                            steps_per_execution=4, eval_samples=100),
    "convhvae_vamp_bf16": Family("convhvae_vamp_static_mnist", executions=1,
                                 steps_per_execution=4, eval_samples=100,
                                 gated_conv_dtype="bfloat16", paper_code="convhvae_vamp"),
    "pixelhvae_vamp": Family("pixelhvae_vamp_static_mnist", executions=1,
                             steps_per_execution=4, eval_samples=100),
    "resnet_vae_realnvp50": Family("resnet_vae_realnvp50_static_mnist", executions=1,
                                   steps_per_execution=4, eval_samples=100),
    "vlae_maf4": Family("vlae_maf4_static_mnist", executions=1, steps_per_execution=4,
                        eval_samples=100),
    "led_mlp_realnvp8": Family("led_mlp_vae_realnvp8_static_mnist"),
    "led_mlp_iaf8_posterior": Family("led_mlp_vae_standard_iaf8_posterior_static_mnist"),
    "dense_realnvp20_posterior": Family("dense_vae_standard_realnvp20_posterior_static_mnist"),
}

# The VampPrior paper's own PyTorch code (its model, loss and AdamNormGrad; torch
# CPU, 2 threads, batch 100, lr 5e-4, K = 500), training images/s, medians of 5
# timings measured side by side with the zoo (the machine otherwise idle; see
# docs/benchmarks.md), keyed by `cpu()`'s kind.
# amd_avx2: AMD EPYC (Zen 3, 2 cores), torch 2.14.1, 2026-12-02.
# amd_avx512: AMD EPYC (Zen 4, 2 cores), torch 2.13.0, 2026-12-07, the faster of two
# runs around the suite (the standard VAE: of three more, alternating with the zoo's).
# intel_avx512: an Intel Xeon with AVX-512 and AMX (2 cores), torch 2.13.0, 2026-12-04,
# the faster of two runs in the sitting (the earlier Intel figures, 12,000 / 2,300 /
# 1,900 / 58, were 1.3-1.6x too low, as the AMD ones had been).
REFERENCE_IMAGES_PER_S = {
    "amd_avx2": {"vae_standard": 9474, "vae_vamp": 2378, "hvae_vamp": 1714, "convhvae_vamp": 41},
    "amd_avx512": {"vae_standard": 11001, "vae_vamp": 2052, "hvae_vamp": 1711,
                   "convhvae_vamp": 55},
    "intel_avx512": {"vae_standard": 16824, "vae_vamp": 3595, "hvae_vamp": 2825,
                     "convhvae_vamp": 82},
}
# The same code's IS evaluation (`calculate_likelihood`: S = 5000 per image in chunks
# of 100 copies), importance samples/s, measured as above. amd_avx2, VAE + VampPrior:
# 6,421 as written (it builds the autograd graph), 7,756 under `torch.no_grad()`; the
# faster one is the reference. The others: under `torch.no_grad()` (amd_avx512: S = 1000
# per image in chunks of 100, 5 images).
REFERENCE_IS_SAMPLES_PER_S = {"amd_avx2": {"vae_vamp": 7756},
                              "amd_avx512": {"vae_vamp": 7995, "hvae_vamp": 6514},
                              "intel_avx512": {"vae_vamp": 12782, "hvae_vamp": 10508}}


def cpu(cpuinfo=None):
    """(model name, kind, has AVX-512) of this machine, from /proc/cpuinfo's text.

    The kind, e.g. "amd_avx2", "amd_avx512", "intel_avx512" ("other" for another
    vendor), keys the papers' figures: one vendor's chips with and without AVX-512
    ran the paper's code at different rates (AMD EPYC Zen 3 and Zen 4), so each
    is a kind of its own. `cpuinfo` replaces the file's text (for tests).
    """
    name, flags = cpu_features.cpu_name_and_flags(cpuinfo)
    avx512 = "avx512f" in flags
    vendor = "amd" if "AMD" in name else "intel" if "Intel" in name else None
    kind = f"{vendor}_{'avx512' if avx512 else 'avx2'}" if vendor else "other"
    return name, kind, avx512


def peak_rss_mb():
    """This process's peak resident set size so far, MB (Linux reports KB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def machine_gflops(size=1024, repeats=20):
    """The f32 matmul rate of this machine with TensorFlow's threads, GFLOP/s (median)."""
    import tensorflow as tf
    a = tf.random.stateless_normal([size, size], seed=[0, 1])
    b = tf.random.stateless_normal([size, size], seed=[0, 2])

    @tf.function
    def products():
        c = a
        for _ in range(10):
            c = tf.matmul(c, b) * 1e-3
        return c

    return 10 * 2 * size ** 3 / _median_seconds(products, repeats) / 1e9


def _median_seconds(function, repeats):
    """The median wall time of `function()` (its result read back) over `repeats` calls,
    after one untimed call (tracing, compilation)."""
    function().numpy()
    seconds = []
    for _ in range(repeats):
        start = time.perf_counter()
        function().numpy()
        seconds.append(time.perf_counter() - start)
    return float(np.median(seconds))


def graph_flops(function, *args):
    """FLOPs of the ops in `tf.function` `function`'s graph at `args` (matmuls, convolutions
    and the other ops TF's profiler has a count for).

    TF's profiler counts a `BatchMatMul` with an adjoint operand as if it had none: a
    weight gradient `[1, 100, 640]^T [1, 100, 640]` (a MADE layer applied to
    `[samples, batch, features]`) as 524 MFLOP instead of 82. Those ops are counted from
    their shapes instead (`MatrixProduct.flops`).
    """
    graph = function.get_concrete_function(*args).graph
    total = _profiled_flops(graph, ".*")
    batched = [p for p in _matrix_products(graph) if p.op_type == "BatchMatMulV2"]
    if batched:
        total += sum(p.flops for p in batched) - _profiled_flops(graph, "BatchMatMul.*")
    return total


def _profiled_flops(graph, op_types):
    """TF's profiler's FLOP count of the ops of `graph` whose type matches regex `op_types`."""
    from tensorflow.python.profiler import model_analyzer, option_builder
    options = option_builder.ProfileOptionBuilder.float_operation()
    options["output"] = "none"
    options["account_type_regexes"] = [op_types]
    return model_analyzer.profile(graph, options=options).total_float_ops


_STEP_GRADIENTS = weakref.WeakKeyDictionary()


def _step_gradients(model):
    """A `tf.function` of x: the gradients of one training step's loss (the negative mean
    ELBO); one per model, so that its FLOPs and its products come from one trace."""
    import tensorflow as tf
    if model not in _STEP_GRADIENTS:
        model_ref = weakref.ref(model)   # The cache's value must not keep its key alive.

        @tf.function
        def gradients(x):
            model = model_ref()
            with tf.GradientTape() as tape:
                loss = -tf.reduce_mean(model.elbo_terms(x, seed=tf.constant([1, 2])).elbo)
            return tape.gradient(loss, model.trainable_variables)
        _STEP_GRADIENTS[model] = gradients
    return _STEP_GRADIENTS[model]


def train_flops_per_image(model, x):
    """FLOPs of one training step's forward and backward pass, per image of `x`."""
    return graph_flops(_step_gradients(model), x) / int(x.shape[0])


@dataclasses.dataclass(frozen=True)
class MatrixProduct:
    """One matrix product of a graph: TF's op type, its operands' static shapes and its
    transpose (MatMul) or adjoint (BatchMatMul) flags."""

    op_type: str
    lhs_shape: tuple
    rhs_shape: tuple
    transpose_lhs: bool = False
    transpose_rhs: bool = False

    @property
    def flops(self):
        """2 m n k for each matrix of the broadcast batch."""
        m, k = self.lhs_shape[-2:][::-1] if self.transpose_lhs else self.lhs_shape[-2:]
        n = self.rhs_shape[-2] if self.transpose_rhs else self.rhs_shape[-1]
        batch = np.broadcast_shapes(tuple(self.lhs_shape[:-2]), tuple(self.rhs_shape[:-2]))
        return 2 * int(np.prod(batch, dtype=np.int64)) * m * n * k

    def __call__(self, lhs, rhs):
        import tensorflow as tf
        if self.op_type == "MatMul":
            return tf.linalg.matmul(lhs, rhs, transpose_a=self.transpose_lhs,
                                    transpose_b=self.transpose_rhs)
        return tf.raw_ops.BatchMatMulV2(x=lhs, y=rhs, adj_x=self.transpose_lhs,
                                        adj_y=self.transpose_rhs)


_PRODUCT_FLAGS = {"MatMul": ("transpose_a", "transpose_b"),
                  "BatchMatMulV2": ("adj_x", "adj_y"), "BatchMatMulV3": ("adj_x", "adj_y")}


def step_matrix_products(model, x):
    """The float32 matrix products (`MatrixProduct`s) of one training step's forward and
    backward pass at `x`, in graph order. Convolutions are not among them.

    Raises:
        ValueError: a product's operand has a shape unknown when tracing.
    """
    return _matrix_products(_step_gradients(model).get_concrete_function(x).graph)


def _matrix_products(graph):
    products = []
    for op in graph.get_operations():
        if op.type not in _PRODUCT_FLAGS or op.outputs[0].dtype.name != "float32":
            continue
        lhs, rhs = (tuple(t.shape) for t in op.inputs)
        if None in lhs + rhs:
            raise ValueError(f"{op.name}: operand shapes {lhs} and {rhs} are not static.")
        flags = [bool(op.get_attr(name)) for name in _PRODUCT_FLAGS[op.type]]
        products.append(MatrixProduct("MatMul" if op.type == "MatMul" else "BatchMatMulV2",
                                      lhs, rhs, *flags))
    return products


def matrix_products_gflops(products, steps=50, repeats=5):
    """The f32 rate of `products` alone on this machine, GFLOP/s (median of `repeats`).

    Each timing runs them `steps` times in one XLA loop, as a whole execution runs
    a model's steps. They run one after another: each product's smaller operand
    gets a zero carried from the previous product's result (an elementwise add,
    about a microsecond), so XLA neither hoists a product out of the loop nor runs two at
    once. So the figure is the rate a step of these shapes can reach on these
    cores if nothing but its products took time: the model's own matmul rate,
    which small products keep far below the 1024^3 rate of `machine_gflops`.
    """
    import tensorflow as tf
    if not products:
        raise ValueError("No matrix products to time.")
    operands = []
    for index, product in enumerate(products):
        operands.append([tf.random.stateless_normal(shape, seed=[index, side])
                         for side, shape in enumerate((product.lhs_shape, product.rhs_shape))])

    @tf.function(jit_compile=True)
    def run():
        def body(step, carry):
            for product, (lhs, rhs) in zip(products, operands):
                if np.prod(lhs.shape) <= np.prod(rhs.shape):
                    lhs = lhs + carry
                else:
                    rhs = rhs + carry
                result = product(lhs, rhs)
                carry = 0.0 * tf.reshape(result, [-1])[0]
            return step + 1, carry
        return tf.while_loop(lambda step, _: step < steps, body, (0, tf.constant(0.0)))[1]

    return steps * sum(p.flops for p in products) / _median_seconds(run, repeats) / 1e9


def eval_flops_per_sample(model, x, chunk=10):
    """FLOPs of one importance sample of the IS evaluation: what `chunk` more samples per
    image add to `model.elbo_terms(x, num_samples=...)`, per image and sample.

    The per-call work (encoding `x`, the prior's distribution: a VampPrior's encoding of
    its pseudo-inputs) cancels in the difference, so the figure is the cost that grows
    with S, the one that bounds an S = 5000 evaluation.
    """
    import tensorflow as tf

    def flops(num_samples):
        terms = tf.function(
            lambda x: model.elbo_terms(x, num_samples=num_samples, seed=tf.constant([1, 2])).elbo)
        return graph_flops(terms, x)

    return (flops(2 * chunk) - flops(chunk)) / (int(x.shape[0]) * chunk)


def configs(family):
    """(the family's experiment with its overrides, the same with Keras's defaults)."""
    from trainers import experiments
    config = experiments.get_experiment(family.experiment)
    train = config.train
    if family.steps_per_execution:
        train = dataclasses.replace(train, steps_per_execution=family.steps_per_execution)
    baseline = dataclasses.replace(config, train=dataclasses.replace(
        train, jit_compile=False, steps_per_execution=1))
    if family.gated_conv_dtype:
        train = dataclasses.replace(train, gated_conv_dtype=family.gated_conv_dtype)
    return dataclasses.replace(config, train=train), baseline


def ratio(a, b):
    """a / b formatted as "1.23x", or "-" where either is missing."""
    return f"{a / b:.2f}x" if a and b else "-"


def format_table(rows, kind, matmul_gflops):
    """The suite's Markdown table: one row per family of `rows` (the suite's JSON results),
    against the papers' code measured on CPU kind `kind` and the 1024^3 matmul rate."""
    lines = [
        "| family | zoo images/s (best) | baseline images/s (best) | zoo / baseline "
        "| paper's code | zoo / paper "
        "| MFLOP/image | GFLOP/s (% of matmul) | products alone GFLOP/s (zoo's %) | compile s "
        "| train RSS MB | IS samples/s "
        "| IS MFLOP/sample | IS GFLOP/s (% of matmul) | S=5000, 10k images | eval RSS MB |",
        "|" + "---|" * 16]
    for name, r in rows.items():
        paper_code = FAMILIES[name].paper_code or name
        reference = REFERENCE_IMAGES_PER_S.get(kind, {}).get(paper_code)
        achieved = r["zoo_images_per_s"] * r["train_flops_per_image"] / 1e9
        evaluated = r["is_samples_per_s"] * r["eval_flops_per_sample"] / 1e9
        products = r.get("products_gflops")
        own = f"{products:.1f} ({100 * achieved / products:.0f}%)" if products else "-"
        lines.append(
            f"| {name} | {r['zoo_images_per_s']:,.0f} ({r['zoo_best_images_per_s']:,.0f}) "
            f"| {r['baseline_images_per_s']:,.0f} ({r['baseline_best_images_per_s']:,.0f}) "
            f"| {ratio(r['zoo_images_per_s'], r['baseline_images_per_s'])} "
            f"| {reference or '-'} | {ratio(r['zoo_images_per_s'], reference)} "
            f"| {r['train_flops_per_image'] / 1e6:,.1f} "
            f"| {achieved:.1f} ({100 * achieved / matmul_gflops:.0f}%) | {own} "
            f"| {r['compile_s']:.0f} "
            f"| {r['train_peak_rss_mb']:,.0f} | {r['is_samples_per_s']:,.0f} "
            f"| {r['eval_flops_per_sample'] / 1e6:,.2f} "
            f"| {evaluated:.1f} ({100 * evaluated / matmul_gflops:.0f}%) "
            f"| {r['full_test_set_s5000_hours']:.1f} h | {r['eval_peak_rss_mb']:,.0f} |")
    return "\n".join(lines)

"""Speed and memory of every model family on the machine at hand, beside a plain-Keras baseline.

    python -m benchmarks.suite [--families=vae_standard,convhvae_vamp] [--data_dir=../shared/data]
        [--output=PATH.json]

For each family (one experiment of `measure.FAMILIES`), in fresh processes:
  - training images/s of the experiment's settings ("zoo": steps_per_execution, XLA
    for the MLP families)
    and of the same model and optimizer with Keras's defaults ("baseline":
    `jit_compile=False, steps_per_execution=1`), timed alternately in one process
    so that both see the same machine load; medians of `--repeats` timings after
    a warm-up each;
  - the compile time: the zoo's first timing (tracing, XLA) less its median;
  - FLOPs per training image (matmuls and convolutions of one step's forward and
    backward graph, counted by TF's profiler) and the GFLOP/s they run at,
    against this machine's own f32 matmul rate (`machine_gflops`) and, where the
    step's matrix products are at least 90% of its FLOPs (the MLP families), against
    the rate of those products alone at their own shapes
    (`measure.matrix_products_gflops`): "products alone", with the zoo's rate as a
    percentage of it;
  - IS evaluation: importance samples/s of `log_likelihood` on one test batch as
    the training program evaluates it (the experiment's batch size and
    `eval_chunk_size`, in the evaluation's own `tf.function`), the time
    S = 5000 on 10,000 test images would take at that rate, and the GFLOP/s of
    its per-sample work (`measure.eval_flops_per_sample`) against the matmul rate;
  - peak RSS of training (the zoo configuration, measured before the baseline
    runs) and of the evaluation, each in its own process.
Medians are given with the best timing beside them: on a shared 2-core machine
interference only ever adds time, and timings of one configuration were seen to
jump between levels a factor of 2 apart. Ratios are to the baseline and, where
known, to the papers' own code measured on the same kind of CPU
(`measure.REFERENCE_IMAGES_PER_S`). Each timing covers whole executions: an epoch
shorter than `steps_per_execution` would silently train a full execution.
"""

import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
from absl import app, flags

from benchmarks import measure

FLAGS = flags.FLAGS
flags.DEFINE_list("families", None, "Families to measure (default: all of measure.FAMILIES).")
flags.DEFINE_string("data_dir", None, "Real training images (default: random ones).")
flags.DEFINE_integer("repeats", 5, "Timings per configuration after the warm-up.")
flags.DEFINE_string("output", None, "Write the results (and the CPU) to this JSON file.")
flags.DEFINE_string("child", None, "Internal: measure one family's `train` or `eval` part.")
flags.DEFINE_string("family", None, "Internal: the family of a child process.")
flags.DEFINE_string("child_output", None, "Internal: where a child writes its JSON.")


def _measure_train(family, data_dir, repeats):
    import keras

    from benchmarks import common
    from trainers import callbacks, pipelines, training
    from zoo import datasets

    zoo, baseline = measure.configs(family)
    images = common.training_images(zoo.data.name, data_dir)
    pixels = datasets.DATASETS.get(zoo.data.name).pixels
    batch = zoo.data.batch_size
    steps = family.executions * zoo.train.steps_per_execution
    assert steps % zoo.train.steps_per_execution == 0

    def fitter(config):
        model = training.compiled_model(config, images.shape[1:])
        stream = pipelines.train_dataset(images, batch, pixels, seed=0)
        warmup = callbacks.KLWarmup(config.train.warmup_epochs)

        def fit_once():
            start = time.perf_counter()
            model.fit(stream, steps_per_epoch=steps, epochs=1, verbose=0,
                      callbacks=[warmup])
            return time.perf_counter() - start
        return model, fit_once

    result = {"experiment": zoo.name, "batch_size": batch,
              "steps_per_execution": zoo.train.steps_per_execution,
              "images_per_timing": steps * batch}
    model, fit_zoo = fitter(zoo)
    first_zoo = fit_zoo()
    zoo_seconds = [fit_zoo() for _ in range(repeats)]
    result["train_peak_rss_mb"] = measure.peak_rss_mb()
    x = keras.ops.convert_to_tensor(next(iter(pipelines.train_dataset(
        images, batch, pixels, seed=1))))
    result["train_flops_per_image"] = measure.train_flops_per_image(model, x)
    # The rate of the step's own matrix products, where they are the step's work.
    products = measure.step_matrix_products(model, x)
    result["train_product_flops_per_image"] = sum(p.flops for p in products) / batch
    result["products_gflops"] = (
        measure.matrix_products_gflops(products)
        if result["train_product_flops_per_image"] >= 0.9 * result["train_flops_per_image"]
        else None)
    _, fit_baseline = fitter(baseline)
    first_baseline = fit_baseline()
    baseline_seconds = []
    for _ in range(repeats):   # Alternate, so that both see the same load.
        baseline_seconds.append(fit_baseline())
        zoo_seconds.append(fit_zoo())
    result.update(
        zoo_images_per_s=steps * batch / float(np.median(zoo_seconds)),
        baseline_images_per_s=steps * batch / float(np.median(baseline_seconds)),
        zoo_best_images_per_s=steps * batch / min(zoo_seconds),
        baseline_best_images_per_s=steps * batch / min(baseline_seconds),
        zoo_timings_s=zoo_seconds, baseline_timings_s=baseline_seconds,
        compile_s=first_zoo - float(np.median(zoo_seconds)),
        baseline_first_call_extra_s=first_baseline - float(np.median(baseline_seconds)))
    return result


def _measure_eval(family, repeats):
    import tensorflow as tf

    from zoo import datasets
    from zoo.models import build_model

    zoo, _ = measure.configs(family)
    shape = datasets.DATASETS.get(zoo.data.name).image_shape
    model = build_model(zoo.model, shape, seed=0)
    # One batch of the test evaluation as the training program runs it: the
    # experiment's batch size and `eval_chunk_size`.
    x = (np.random.RandomState(0).rand(zoo.data.batch_size, *shape) > 0.8).astype(np.float32)
    samples, chunk = family.eval_samples, zoo.train.eval_chunk_size

    @tf.function(reduce_retracing=True)   # As zoo.evaluation.log_likelihood_over_dataset.
    def step(x, seed):
        return model.log_likelihood(x, num_samples=samples, chunk_size=chunk, seed=seed)

    step(x, tf.constant([0, 0])).numpy()
    seconds = []
    for r in range(repeats):
        start = time.perf_counter()
        step(x, tf.constant([0, r + 1])).numpy()
        seconds.append(time.perf_counter() - start)
    rate = len(x) * samples / float(np.median(seconds))

    return {"eval_samples": samples, "eval_chunk_size": chunk, "eval_images": len(x),
            "eval_timings_s": seconds,
            "is_samples_per_s": rate,
            "full_test_set_s5000_hours": 10000 * 5000 / rate / 3600,
            "eval_flops_per_sample": measure.eval_flops_per_sample(model, x),
            "eval_peak_rss_mb": measure.peak_rss_mb()}


def _child(argv0):
    family = measure.FAMILIES[FLAGS.family]
    if FLAGS.child == "train":
        result = _measure_train(family, FLAGS.data_dir, FLAGS.repeats)
    else:
        result = _measure_eval(family, FLAGS.repeats)
    with open(FLAGS.child_output, "w") as f:
        json.dump(result, f)


def _run_child(name, part):
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        command = [sys.executable, "-m", "benchmarks.suite", f"--child={part}",
                   f"--family={name}", f"--child_output={out}", f"--repeats={FLAGS.repeats}"]
        if FLAGS.data_dir:
            command.append(f"--data_dir={FLAGS.data_dir}")
        completed = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                   text=True)
        if completed.returncode != 0:
            tail = "\n".join(completed.stdout.splitlines()[-15:])
            raise RuntimeError(f"{name} ({part}) failed:\n{tail}")
        with open(out) as f:
            return json.load(f)


def main(argv):
    if FLAGS.child:
        return _child(argv[0])
    names = FLAGS.families or list(measure.FAMILIES)
    unknown = [n for n in names if n not in measure.FAMILIES]
    if unknown:
        raise app.UsageError(f"Unknown families {unknown}; known: {', '.join(measure.FAMILIES)}.")
    name, kind, avx512 = measure.cpu()
    matmul = measure.machine_gflops()
    print(f"CPU: {name} ({kind}, AVX-512: {avx512}), {os.cpu_count()} cores; "
          f"f32 matmul 1024 x 1024: {matmul:.1f} GFLOP/s", flush=True)
    rows = {}
    for family in names:
        rows[family] = {**_run_child(family, "train"), **_run_child(family, "eval")}
        r = rows[family]
        print(f"{family}: zoo {r['zoo_images_per_s']:,.0f} images/s, baseline "
              f"{r['baseline_images_per_s']:,.0f}, IS {r['is_samples_per_s']:,.0f} samples/s",
              flush=True)
    print(measure.format_table(rows, kind, matmul))
    for family in rows:
        reference = measure.REFERENCE_IS_SAMPLES_PER_S.get(kind, {}).get(family)
        if reference:
            print(f"{family} IS evaluation / paper's code ({reference:.0f} samples/s): "
                  f"{measure.ratio(rows[family]['is_samples_per_s'], reference)}")
    if FLAGS.output:
        with open(FLAGS.output, "w") as f:
            json.dump({"cpu": name, "cpu_kind": kind, "avx512": avx512,
                       "cores": os.cpu_count(), "matmul_gflops": matmul, "families": rows},
                      f, indent=1)


if __name__ == "__main__":
    app.run(main)

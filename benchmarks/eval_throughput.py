"""Importance samples per second of `VAE.log_likelihood`, for several chunk sizes.

    python -m benchmarks.eval_throughput --experiment=vae_standard_static_mnist \
        [--num_samples=1000] [--batch_size=100]

Runs `log_likelihood` on one batch inside a `tf.function` (as the evaluation
does), drops the first (tracing) call and reports the median of `repeats`
calls. samples/s = batch_size * num_samples / seconds. The chunk size trades
memory (chunk_size * batch_size decoder passes at once) for speed; the
smallest chunk size is the side-by-side baseline.
"""

import time

import numpy as np
import tensorflow as tf
from absl import app, flags

from benchmarks import common
from trainers import experiments
from zoo import datasets
from zoo.models import build_model

FLAGS = flags.FLAGS
flags.DEFINE_string("experiment", "vae_standard_static_mnist", "Registered experiment.")
flags.DEFINE_integer("num_samples", 1000, "Importance samples per example.")
flags.DEFINE_integer("batch_size", 100, "Examples per call.")
flags.DEFINE_list("chunk_sizes", ["10", "100", "500"], "Chunk sizes to compare.")
flags.DEFINE_integer("repeats", 5, "Timed calls per chunk size.")


def main(argv):
    del argv
    config = experiments.get_experiment(FLAGS.experiment)
    spec_shape = datasets.DATASETS.get(config.data.name).image_shape
    model = build_model(config.model, spec_shape, seed=0)
    x = (np.random.RandomState(0).rand(FLAGS.batch_size, *spec_shape) > 0.8).astype(np.float32)
    rates = {}
    for chunk in map(int, FLAGS.chunk_sizes):
        step = tf.function(lambda x, chunk=chunk: model.log_likelihood(
            x, num_samples=FLAGS.num_samples, chunk_size=chunk, seed=0))
        step(x).numpy()
        times = []
        for _ in range(FLAGS.repeats):
            start = time.perf_counter()
            step(x).numpy()
            times.append(time.perf_counter() - start)
        rates[chunk] = FLAGS.batch_size * FLAGS.num_samples / common.median(times)
        print(f"chunk_size={chunk:5d}: median {rates[chunk]:10.0f} importance samples/s "
              f"({common.median(times) * 1000:.1f} ms per batch of {FLAGS.batch_size} "
              f"x {FLAGS.num_samples} samples)")
    base = min(rates)
    for chunk, rate in rates.items():
        print(f"chunk_size={chunk} / chunk_size={base} = {rate / rates[base]:.2f}x")


if __name__ == "__main__":
    app.run(main)

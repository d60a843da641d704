"""Training throughput (images/s) of a named experiment, next to a plain-Keras baseline.

    python -m benchmarks.train_throughput --experiment=vae_standard_static_mnist \
        [--data_dir=../shared/data] [--epochs=4]

Each configuration trains `epochs + 1` epochs; the first (tracing, XLA
compilation) is dropped and the median of the rest is reported:
  - zoo:      the experiment's settings (XLA, steps_per_execution);
  - baseline: the same model and optimizer with `jit_compile=False,
              steps_per_execution=1` (Keras's defaults), side by side.
The reference figure is the original PyTorch code on this 2-core machine.
"""

import dataclasses
import time

import keras
from absl import app, flags

from benchmarks import common
from trainers import callbacks, experiments, pipelines, training
from zoo import datasets

FLAGS = flags.FLAGS
flags.DEFINE_string("experiment", "vae_standard_static_mnist", "Registered experiment.")
flags.DEFINE_string("data_dir", None, "Real data (default: random images of the same shape).")
flags.DEFINE_integer("epochs", 4, "Measured epochs per configuration (after one warm-up epoch).")
flags.DEFINE_float("reference_images_per_s", 12000.0,
                   "Reference throughput (original PyTorch VampPrior code, this machine).")


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)


def measure(config, images, pixels, epochs):
    """Median images/s over `epochs` epochs after a warm-up epoch."""
    model = training.compiled_model(config, images.shape[1:])
    batch = config.data.batch_size
    steps = len(images) // batch
    timer = _EpochTimer()
    model.fit(pipelines.train_dataset(images, batch, pixels, seed=0),
              steps_per_epoch=steps, epochs=epochs + 1, verbose=0, shuffle=False,
              callbacks=[callbacks.KLWarmup(config.train.warmup_epochs), timer])
    return [steps * batch / s for s in timer.seconds[1:]]


def main(argv):
    del argv
    config = experiments.get_experiment(FLAGS.experiment)
    images = common.training_images(config.data.name, FLAGS.data_dir)
    pixels = datasets.DATASETS.get(config.data.name).pixels
    baseline = dataclasses.replace(config, train=dataclasses.replace(
        config.train, jit_compile=False, steps_per_execution=1))
    results = {}
    for name, cfg in (("zoo", config), ("baseline", baseline)):
        rates = measure(cfg, images, pixels, FLAGS.epochs)
        results[name] = common.median(rates)
        print(f"{name:9s} jit_compile={cfg.train.jit_compile!s:5s} "
              f"steps_per_execution={cfg.train.steps_per_execution:3d}: "
              f"median {results[name]:8.0f} images/s  (epochs: "
              + ", ".join(f"{r:.0f}" for r in rates) + ")")
    print(f"experiment={FLAGS.experiment} images={len(images)} "
          f"({'real' if FLAGS.data_dir else 'random'} data)")
    print(f"zoo / baseline           = {results['zoo'] / results['baseline']:.2f}x")
    print(f"zoo / reference ({FLAGS.reference_images_per_s:.0f}/s) = "
          f"{results['zoo'] / FLAGS.reference_images_per_s:.2f}x")


if __name__ == "__main__":
    app.run(main)

"""Trains a named experiment and writes `<workdir>/evaluation.json`.

    python -m trainers.train --experiment=vae_standard_static_mnist \
        --data_dir=../shared/data --workdir=/tmp/vae --epochs=10 \
        [--strategy=default|mirrored|multi_worker] [--num_cpu_devices=N] [--deterministic]

A user's own images, no code: `--dataset=PATH.npz` (uint8 x_train, x_test and optionally
x_valid, `[N, H, W]` or `[N, H, W, C]`), with `--pixels=binary|dynamic|gray` (default:
binary when every value is 0 or 1, else gray) and `--likelihood=NAME` (gray pixels take
`discretized_logistic` or `discretized_logistic_mixture`).

Running the same command again resumes from the workdir's last checkpoint.
With --strategy=multi_worker, run it once per worker, each with its TF_CONFIG.
"""

import dataclasses
import os
import shlex
import sys

import tensorflow as tf
from absl import app, flags

from trainers import experiments, strategies, training
from zoo import datasets, likelihoods, programs
from zoo.errors import exits_on_user_error

FLAGS = flags.FLAGS
flags.DEFINE_string("experiment", None, "Registered experiment name.", required=True)
flags.DEFINE_string("workdir", None, "Checkpoints, logs and evaluation.json.", required=True)
flags.DEFINE_string("data_dir", None,
                    "Folder with <dataset>.npz (layout of ../shared/data) or a prepared TFDS dir.")
flags.DEFINE_string("dataset", None,
                    "Override: a registered dataset (omniglot, frey_faces ...) or the path of "
                    "an .npz holding uint8 x_train, x_test and optionally x_valid.")
flags.DEFINE_enum("pixels", None, list(datasets.PIXELS),
                  "Override: binary (0/1 as stored), dynamic (gray levels re-binarized every "
                  "epoch) or gray (8-bit levels k/255). Default: the dataset's; a file's is "
                  "inferred (binary when every value is 0 or 1, else gray).")
flags.DEFINE_string("likelihood", None,
                    "Override: likelihood name (bernoulli, discretized_logistic, "
                    "discretized_logistic_mixture, pixelcnn_bernoulli ...).")
flags.DEFINE_string("prior", None,
                    "Override: prior name (standard, mog, vamp, realnvp, maf) with its defaults.")
flags.DEFINE_integer("latent_dim", None, "Override: latent units (per group).")
flags.DEFINE_list("hidden_units", None,
                  "Override: widths of the hidden dense layers, e.g. 16 or 300,300.")
flags.DEFINE_integer("epochs", None, "Override: maximum epochs.")
flags.DEFINE_integer("batch_size", None, "Override: batch size.")
flags.DEFINE_string("optimizer", None,
                    "Override: optimizer name (adam, adam_norm_grad, adamax).")
flags.DEFINE_float("learning_rate", None, "Override: learning rate.")
flags.DEFINE_integer("warmup_epochs", None, "Override: KL warm-up epochs (0: none).")
flags.DEFINE_integer("patience", None, "Override: early-stopping look-ahead (epochs).")
flags.DEFINE_integer("seed", None, "Override: random seed.")
flags.DEFINE_integer("eval_num_samples", None, "Override: importance samples at test time.")
flags.DEFINE_integer("eval_num_examples", None,
                     "Override: test images for the log-likelihood (RandomState(0) subset).")
flags.DEFINE_float("clip_norm", None, "Override: clip gradients to this global L2 norm.")
flags.DEFINE_float("beta", None, "Override: KL weight after the warm-up (beta-VAE).")
flags.DEFINE_float("free_bits", None, "Override: nats of KL per latent group left free.")
flags.DEFINE_float("free_bits_per_data_dim", None,
                   "Override: free bits per group, in nats per data dimension (VLAE: 0.01).")
flags.DEFINE_float("ema_momentum", None,
                   "Override: Polyak averaging of the weights with this momentum (VLAE: 0.998).")
flags.DEFINE_integer("max_consecutive_nonfinite", None,
                     "Override: stop after this many consecutive non-finite steps.")
flags.DEFINE_integer("steps_per_execution", None, "Override: train steps per compiled call.")
flags.DEFINE_enum("gated_conv_dtype", None, ["float32", "bfloat16"],
                  "Override: what the training step's gated convolutions compute in "
                  "(bfloat16: faster on CPUs with AVX512_BF16 or AMX; evaluation stays float32).")
flags.DEFINE_integer("verbose", 1, "Keras fit verbosity (0, 1 progress bar, 2 one line/epoch).")
flags.DEFINE_enum("strategy", "default", strategies.STRATEGIES,
                  "default: one device; mirrored: all local devices; multi_worker: the "
                  "cluster in TF_CONFIG (run once per worker).")
flags.DEFINE_integer("num_cpu_devices", None,
                     "With --strategy=mirrored: split the CPU into this many logical devices.")
flags.DEFINE_bool("deterministic", False,
                  "tf.config.experimental.enable_op_determinism(): the same seed gives the "
                  "same weights, also across a kill and resume.")


def resolve_config(flag_values):
    """The experiment's config with the given overrides applied."""
    config = original = experiments.get_experiment(flag_values.experiment)
    data = {"batch_size": flag_values.batch_size, "pixels": flag_values.pixels,
            "name": _dataset_name(flag_values.dataset)}
    train = {name: getattr(flag_values, name) for name in (
        "epochs", "optimizer", "learning_rate", "warmup_epochs", "patience", "seed",
        "eval_num_samples", "eval_num_examples", "clip_norm", "max_consecutive_nonfinite",
        "steps_per_execution", "beta", "free_bits", "free_bits_per_data_dim", "ema_momentum",
        "gated_conv_dtype")}
    drop_none = lambda d: {k: v for k, v in d.items() if v is not None}
    model = config.model
    if flag_values.latent_dim is not None:
        model = dataclasses.replace(model, latent_dim=flag_values.latent_dim)
    if flag_values.hidden_units is not None:
        model = dataclasses.replace(model, hidden_units=tuple(
            int(u) for u in flag_values.hidden_units))
    if flag_values.likelihood is not None:
        likelihoods.LIKELIHOODS.get(flag_values.likelihood)   # An unknown name lists the known.
        model = dataclasses.replace(model, likelihood=flag_values.likelihood)
    if flag_values.prior is not None and flag_values.prior != model.prior:
        # Another prior takes that prior's default config.
        model = dataclasses.replace(model, prior=flag_values.prior, prior_config=None)
    config = dataclasses.replace(
        config, model=model, data=dataclasses.replace(config.data, **drop_none(data)),
        train=dataclasses.replace(config.train, **drop_none(train)))
    if (config.data.name, config.data.pixels, config.model.likelihood) != (
            original.data.name, original.data.pixels, original.model.likelihood):
        # Another dataset, pixels or likelihood: the paper's numbers are of another task.
        config = dataclasses.replace(config, paper_nll=None, paper_nll_ncp=None)
    return config


def _dataset_name(dataset):
    """A registered dataset's name as it is; a file's path made absolute (the workdir's
    config names it, for the evaluation and the export)."""
    if dataset is None or not datasets.is_dataset_file(dataset):
        if dataset is not None:
            datasets.DATASETS.get(dataset)   # An unknown name lists the known ones.
        return dataset
    return os.path.abspath(dataset)


@exits_on_user_error("trainers.train")
def main(argv):
    del argv
    config = resolve_config(FLAGS)
    # Before anything touches a device: logical CPUs, determinism.
    strategy = strategies.make_strategy(FLAGS.strategy, FLAGS.num_cpu_devices)
    if FLAGS.deterministic:
        tf.config.experimental.enable_op_determinism()
    command = shlex.join(["python", "-m", "trainers.train"] + sys.argv[1:])
    results = training.train_and_evaluate(config, FLAGS.workdir, FLAGS.data_dir,
                                          verbose=FLAGS.verbose, command=command,
                                          strategy=strategy)
    # Flushed now, not at exit: the results must not depend on how the process ends (a
    # non-chief worker's end follows the chief's, which stops the cluster's service).
    programs.print_results(results)


if __name__ == "__main__":
    app.run(main)

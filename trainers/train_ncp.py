"""Stage 2 of NCP-VAE: fits a noise-contrastive prior on a trained VAE's workdir.

    python -m trainers.train_ncp --base_workdir=/tmp/vae --workdir=/tmp/ncp \
        [--data_dir=../shared/data] [--epochs=100] [--log_normalizer_samples=1000000]

Reads `<base_workdir>/checkpoints/best.keras` (any zoo VAE; a HierarchicalVAE
gets one classifier per latent group), trains the classifiers on its frozen
posterior and prior samples with early stopping on the validation loss,
estimates log Z, and writes to `--workdir`:
    config.json       the options, the base workdir and the command
    model.keras       the VAE with the NCP prior (loads with keras.saving.load_model)
    evaluation.json   classification loss and JSD per group, log Z and its standard
                      error, SIR effective sample size, and the test IS log-likelihood
                      of the base VAE and of the NCP-VAE on the same samples
"""

import dataclasses
import os
import shlex
import sys

from absl import app, flags

from trainers import ncp_training
from zoo import programs
from zoo.errors import exits_on_user_error

FLAGS = flags.FLAGS
flags.DEFINE_string("base_workdir", None, "Workdir of the trained VAE (trainers.train).",
                    required=True)
flags.DEFINE_string("workdir", None, "Output folder (model.keras, evaluation.json).",
                    required=True)
flags.DEFINE_string("data_dir", None, "Dataset folder (default: the base run's).")
# Overrides of NCPConfig's fields (None: its default); see trainers/ncp_training.py.
flags.DEFINE_integer("classifier_units", None, "Width of the residual-MLP classifier.")
flags.DEFINE_integer("classifier_blocks", None, "Residual blocks of the classifier.")
flags.DEFINE_string("classifier_activation", None, "Keras activation of the classifier.")
flags.DEFINE_integer("epochs", None, "Maximum classifier training epochs.")
flags.DEFINE_integer("batch_size", None, "Classifier training batch (posterior and prior each).")
flags.DEFINE_float("learning_rate", None, "Adam learning rate of the classifiers.")
flags.DEFINE_integer("patience", None, "Early stopping on the validation loss (epochs).")
flags.DEFINE_integer("seed", None, "Seed of the classifiers, samples and estimates.")
flags.DEFINE_integer("log_normalizer_samples", None, "Base samples of the log Z estimate.")
flags.DEFINE_integer("log_normalizer_chunk_size", None, "Of those, evaluated together.")
flags.DEFINE_integer("num_proposals", None, "SIR proposals per sample (paper: 5000).")
flags.DEFINE_integer("sir_samples", None, "SIR draws for the effective-sample-size report.")
flags.DEFINE_integer("eval_num_samples", None, "Importance samples of the test log-likelihood.")
flags.DEFINE_integer("eval_num_examples", None, "Test images used (0: all).")
flags.DEFINE_integer("eval_chunk_size", None, "Importance samples evaluated together.")
flags.DEFINE_integer("verbose", 2, "Keras fit verbosity.")


@exits_on_user_error("trainers.train_ncp")
def main(argv):
    del argv
    fields = [f.name for f in dataclasses.fields(ncp_training.NCPConfig)]
    overrides = {name: getattr(FLAGS, name) for name in fields if getattr(FLAGS, name) is not None}
    config = ncp_training.NCPConfig(**overrides)
    command = shlex.join(["python", "-m", "trainers.train_ncp"] + sys.argv[1:])
    results = ncp_training.train_ncp(config, FLAGS.base_workdir, FLAGS.workdir,
                                     data_dir=FLAGS.data_dir, verbose=FLAGS.verbose,
                                     command=command)
    programs.print_results(results)
    print(f"Wrote {os.path.join(FLAGS.workdir, 'evaluation.json')}")


if __name__ == "__main__":
    app.run(main)

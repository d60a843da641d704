"""Recomputes `<workdir>/evaluation.json` from the workdir's best checkpoint.

    python -m trainers.evaluate --workdir=/tmp/vae --num_samples=5000
"""

from absl import app, flags

from trainers import training
from trainers.workdir_lock import workdir_lock
from zoo import programs
from zoo.errors import exits_on_user_error

FLAGS = flags.FLAGS
flags.DEFINE_string("workdir", None, "A workdir written by trainers.train.", required=True)
flags.DEFINE_string("data_dir", None, "Override the data_dir recorded in the workdir.")
flags.DEFINE_integer("num_samples", None, "Importance samples (default: the experiment's).")
flags.DEFINE_integer("num_examples", None,
                     "Test images for the log-likelihood (default: the experiment's).")


@exits_on_user_error("trainers.evaluate")
def main(argv):
    del argv
    with workdir_lock(FLAGS.workdir, "trainers.evaluate", create=False):
        results = training.evaluate_workdir(FLAGS.workdir, data_dir=FLAGS.data_dir,
                                            num_samples=FLAGS.num_samples,
                                            num_examples=FLAGS.num_examples, progress=True)
    programs.print_results(results)


if __name__ == "__main__":
    app.run(main)

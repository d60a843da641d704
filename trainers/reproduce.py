"""The reproduction queue: trains each experiment at its paper's budget, evaluates it with the
paper's protocol and exports it to the registry; the same command resumes after any stop.

    python -m trainers.reproduce --runs_dir=../runs --data_dir=../shared/data \
        --experiments=vae_standard_static_mnist,lars_vae_standard_dynamic_mnist+ncp \
        [--export_base=savedmodels/pretrained]
    python -m trainers.reproduce --runs_dir=../runs --status [--experiments=...]

For each experiment in order: a run already exported is skipped; otherwise
`trainers.train` starts or resumes it with the experiment's whole schedule
(its maximum epochs and early stopping) and evaluates the best model (the
experiment's importance samples, all test images); `NAME+ncp` then fits its
noise-contrastive prior (`trainers.train_ncp`, default settings); each model
is exported to `<export_base>/<name>/<next version>/` with its metrics, the
commit, CPU and wall time. Programs run from frozen copies of the code in
`<runs_dir>/code/`, never from this tree (see `trainers/reproduction.py`).
Keep `--runs_dir` outside the working tree.
"""

import shlex
import sys
import time

from absl import app, flags

from trainers import reproduction
from zoo.errors import exits_on_user_error

FLAGS = flags.FLAGS
flags.DEFINE_string("runs_dir", None, "The runs folder (created if missing).", required=True)
flags.DEFINE_list("experiments", None,
                  "Queued experiments, in order; NAME+ncp adds its NCP stage 2.")
flags.DEFINE_string("export_base", "savedmodels/pretrained", "Registry folder of the exports.")
flags.DEFINE_string("data_dir", None, "Datasets folder (layout of ../shared/data).")
flags.DEFINE_string("train_args", "",
                    "Extra trainers.train flags for new runs, e.g. '--epochs=2' (quick trials "
                    "and tests; a paper-budget run passes none).")
flags.DEFINE_string("ncp_args", "", "Extra trainers.train_ncp flags for new runs.")
flags.DEFINE_float("poll_seconds", 10.0, "How often run.json is updated while a program runs.")
flags.DEFINE_bool("status", False, "Print each run's state and estimated time left; train nothing.")


def _log(line):
    print(f"[{time.strftime('%Y-%m-%d %H:%M:%S')}] {line}", flush=True)


@exits_on_user_error("trainers.reproduce")
def main(argv):
    del argv
    entries = reproduction.parse_entries(FLAGS.experiments) if FLAGS.experiments else None
    if FLAGS.status:
        print(reproduction.format_status(reproduction.run_status(FLAGS.runs_dir, entries)))
        return 0
    if entries is None:
        raise reproduction.ReproductionError("--experiments is required (or pass --status).")
    queue = reproduction.ReproductionQueue(
        FLAGS.runs_dir, FLAGS.export_base, data_dir=FLAGS.data_dir,
        train_args=shlex.split(FLAGS.train_args), ncp_args=shlex.split(FLAGS.ncp_args),
        poll_seconds=FLAGS.poll_seconds, log=_log)
    queue.run(entries)
    return 0


if __name__ == "__main__":
    app.run(lambda argv: sys.exit(main(argv)))

"""Paired comparison of evaluated workdirs on the same test images.

    python -m trainers.compare --workdirs=DIR_A,DIR_B,DIR_C [--baseline=DIR_A]

Each workdir's evaluation (`trainers.train` or `trainers.evaluate`) keeps the
per-example IS log-likelihoods in `test_log_likelihoods.npz`. Models evaluated
on the same images with the same number of importance samples are compared
image by image: the difference of two models' means has the standard error of
the per-image differences, std(d) / sqrt(n), which is much smaller than the
two means' own errors when the images' difficulty dominates their spread.
"""

import json
import os

import numpy as np
from absl import app, flags

from trainers.evaluation import PER_EXAMPLE_FILE
from zoo.errors import exits_on_user_error

__all__ = ["compare_workdirs", "format_table"]

FLAGS = flags.FLAGS
flags.DEFINE_list("workdirs", None, "Evaluated workdirs, comma-separated.", required=True)
flags.DEFINE_string("baseline", None,
                    "The workdir the others are compared to (default: the first).")


def _load(workdir):
    path = os.path.join(workdir, PER_EXAMPLE_FILE)
    if not os.path.exists(path):
        raise FileNotFoundError(
            f"{workdir} has no {PER_EXAMPLE_FILE}: evaluate it with "
            f"`python -m trainers.evaluate --workdir={workdir}` (evaluations before this file "
            f"existed do not have it).")
    with open(os.path.join(workdir, "evaluation.json")) as f:
        evaluation = json.load(f)
    with np.load(path) as arrays:
        return evaluation, {k: arrays[k] for k in arrays.files}


def compare_workdirs(workdirs, baseline=None):
    """One row per workdir: its mean IS log-likelihood and the paired difference to `baseline`.

    Args:
        workdirs: evaluated workdirs, all on the same dataset, test images and
            number of importance samples (else ValueError, naming the mismatch).
        baseline: one of `workdirs` (default: the first).

    Returns:
        A list of dicts, in the order of `workdirs`: `workdir`, `experiment`,
        `log_likelihood` and `stderr` (mean over the images and its standard
        error), `difference` and `difference_stderr` (mean of the per-image
        log-likelihood minus the baseline's, and its standard error; 0 for the
        baseline), in nats per example, and `is_baseline`.
    """
    baseline = workdirs[0] if baseline is None else baseline
    if baseline not in workdirs:
        raise ValueError(f"The baseline {baseline!r} is not one of the workdirs {workdirs}.")
    loaded = {w: _load(w) for w in workdirs}
    reference_eval, reference = loaded[baseline]
    rows = []
    baseline_position = workdirs.index(baseline)
    for position, workdir in enumerate(workdirs):
        evaluation, arrays = loaded[workdir]
        for key, mine, theirs in (
                ("dataset", evaluation["dataset"], reference_eval["dataset"]),
                ("num_samples", int(arrays["num_samples"]), int(reference["num_samples"]))):
            if mine != theirs:
                raise ValueError(f"{workdir} was evaluated with {key}={mine!r} and the baseline "
                                 f"{baseline} with {theirs!r}; a paired comparison needs the "
                                 f"same.")
        if not np.array_equal(arrays["index"], reference["index"]):
            raise ValueError(f"{workdir} and the baseline {baseline} were evaluated on different "
                             f"test images; evaluate both with the same --num_examples.")
        ll = arrays["log_likelihood"]
        difference = ll - reference["log_likelihood"]
        n = len(ll)
        rows.append(dict(workdir=workdir, experiment=evaluation.get("experiment"),
                         log_likelihood=float(ll.mean()), stderr=float(ll.std() / np.sqrt(n)),
                         difference=float(difference.mean()),
                         difference_stderr=float(difference.std() / np.sqrt(n)),
                         num_examples=n, is_baseline=position == baseline_position))
    return rows


def format_table(rows):
    """A Markdown table of `compare_workdirs`'s rows."""
    lines = ["| experiment | test IS LL (nats) | paired difference to the baseline |",
             "|---|---|---|"]
    for row in rows:
        difference = ("baseline" if row["is_baseline"]
                      else f"{row['difference']:+.2f} ± {row['difference_stderr']:.2f}")
        lines.append(f"| {row['experiment'] or row['workdir']} | "
                     f"{row['log_likelihood']:.2f} ± {row['stderr']:.2f} | {difference} |")
    return "\n".join(lines)


@exits_on_user_error("trainers.compare")
def main(argv):
    del argv
    rows = compare_workdirs(FLAGS.workdirs, FLAGS.baseline)
    print(format_table(rows))
    print(f"({rows[0]['num_examples']} test images; ± one standard error)")


if __name__ == "__main__":
    app.run(main)

"""Rate-distortion sweep: one beta-VAE per (prior, beta), and distortion against rate per prior.

    python -m trainers.rd_sweep --experiment=vae_standard_static_mnist \
        --betas=0.25,0.5,1,2,4 --priors=standard,realnvp --runs_dir=DIR \
        [--data_dir=DIR] [--epochs=N] [--train_flags="--eval_num_samples=1000 ..."]

For each prior and beta, in order, trains `<runs_dir>/<experiment>_<prior>_beta<beta>/`
with the training program (`--prior`, `--beta`: the KL weight after the warm-up; the
experiment's schedule, or `--epochs`; `--train_flags` go to every run), from a frozen
copy of the code (`<runs_dir>/code/`, as `trainers.reproduce`); a run that is finished
(its evaluation.json exists) is skipped, an interrupted one resumes. Then it
plots distortion (-E log p(x|z)) against rate (E KL(q(z|x) || p(z))) on the
test set, one line per prior (Xu et al. 2019, Fig. 4), as
`<runs_dir>/<experiment>_rd.png`, with the points in `<runs_dir>/<experiment>_rd.json`.
Rate and distortion are the test evaluation's single-sample `test_kl` and
`-test_reconstruction` (nats per example, all test images, beta = 1 in the
evaluation whatever the training beta).
"""

import json
import os
import shlex
import subprocess
import sys

from zoo.errors import UserError, exits_on_user_error

__all__ = ["SweepError", "parse_betas", "rd_points", "run_sweep", "workdir_name"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class SweepError(UserError, ValueError):
    """A bad sweep request; the message says what to change."""


def parse_betas(text):
    """"0.25,0.5,1" -> [0.25, 0.5, 1.0]; every beta must be a positive number."""
    betas = []
    for item in text.split(","):
        try:
            beta = float(item)
        except ValueError:
            raise SweepError(f"--betas: {item.strip()!r} is not a number.") from None
        if not beta > 0:
            raise SweepError(f"--betas: every beta must be positive; got {item.strip()}.")
        betas.append(beta)
    if len(set(betas)) != len(betas):
        raise SweepError(f"--betas: {text} repeats a value.")
    return betas


def workdir_name(experiment, prior, beta):
    """`vae_standard_static_mnist_realnvp_beta0.5` (the beta as Python prints it)."""
    return f"{experiment}_{prior}_beta{beta:g}"


def _check(experiment, priors, runs_dir):
    from trainers import experiments
    from zoo import priors as zoo_priors

    if experiment not in experiments.EXPERIMENTS.names():
        raise SweepError(f"Unknown experiment {experiment!r}; see docs/experiments.md.")
    unknown = [p for p in priors if p not in zoo_priors.PRIORS.names()]
    if unknown or not priors:
        raise SweepError(f"--priors: unknown {', '.join(unknown) or '(none given)'}; known: "
                         f"{', '.join(zoo_priors.PRIORS.names())}.")
    if os.path.exists(runs_dir) and not os.path.isdir(runs_dir):
        raise SweepError(f"--runs_dir={runs_dir} is a file, not a folder.")


def run_sweep(experiment, betas, priors, runs_dir, data_dir=None, epochs=None, train_flags=(),
              log=print):
    """Trains every (prior, beta) run that is not finished; returns {(prior, beta): workdir}."""
    from trainers import code_snapshot

    _check(experiment, priors, runs_dir)
    os.makedirs(runs_dir, exist_ok=True)
    snapshot = code_snapshot.take_snapshot(ROOT, os.path.join(runs_dir, "code"))
    workdirs = {}
    for prior in priors:
        for beta in betas:
            workdir = os.path.join(runs_dir, workdir_name(experiment, prior, beta))
            workdirs[(prior, beta)] = workdir
            if os.path.isfile(os.path.join(workdir, "evaluation.json")):
                log(f"{os.path.basename(workdir)}: finished; skipped.")
                continue
            command = [sys.executable, "-m", "trainers.train", f"--experiment={experiment}",
                       f"--prior={prior}", f"--beta={beta}", f"--workdir={workdir}",
                       "--verbose=2"]
            command += [f"--data_dir={data_dir}"] if data_dir else []
            command += [f"--epochs={epochs}"] if epochs else []
            command += list(train_flags)
            log(f"{os.path.basename(workdir)}: training ({snapshot.describe()}).")
            result = subprocess.run(command, **snapshot.process_kwargs())
            if result.returncode != 0:
                raise RuntimeError(f"{' '.join(command)} failed with exit code "
                                   f"{result.returncode}.")
    return workdirs


def rd_points(workdirs):
    """[{"prior", "beta", "rate", "distortion", "test_log_likelihood", "workdir"}, ...] from
    each workdir's evaluation.json, sorted by prior and beta."""
    points = []
    for (prior, beta), workdir in sorted(workdirs.items()):
        with open(os.path.join(workdir, "evaluation.json")) as f:
            evaluation = json.load(f)
        points.append({"prior": prior, "beta": beta, "rate": evaluation["test_kl"],
                       "distortion": -evaluation["test_reconstruction"],
                       "test_log_likelihood": evaluation["test_log_likelihood"],
                       "epochs_trained": evaluation.get("epochs_trained"), "workdir": workdir})
    return points


def plot(points, path, title):
    """Distortion against rate, one line per prior, each point labelled with its beta."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6, 4))
    for prior in sorted({p["prior"] for p in points}):
        mine = sorted((p for p in points if p["prior"] == prior), key=lambda p: p["rate"])
        axis.plot([p["rate"] for p in mine], [p["distortion"] for p in mine], "o-", label=prior)
        for p in mine:
            axis.annotate(f"β={p['beta']:g}", (p["rate"], p["distortion"]), fontsize=7,
                          textcoords="offset points", xytext=(4, 4))
    axis.set_xlabel("rate: E KL(q(z|x) || p(z)) (nats)")
    axis.set_ylabel("distortion: -E log p(x|z) (nats)")
    axis.set_title(title)
    axis.legend()
    figure.savefig(path + ".tmp.png", dpi=80, bbox_inches="tight")
    plt.close(figure)
    os.replace(path + ".tmp.png", path)


@exits_on_user_error("trainers.rd_sweep")
def main(argv):
    del argv
    from absl import flags

    from zoo import files

    values = flags.FLAGS
    betas = parse_betas(values.betas)
    priors = [p.strip() for p in values.priors.split(",") if p.strip()]
    workdirs = run_sweep(values.experiment, betas, priors, values.runs_dir,
                         values.data_dir, values.epochs, shlex.split(values.train_flags))
    points = rd_points(workdirs)
    stem = os.path.join(values.runs_dir, f"{values.experiment}_rd")
    files.write_json_atomically(stem + ".json", {
        "experiment": values.experiment, "epochs": values.epochs,
        "train_flags": shlex.split(values.train_flags), "points": points,
        "units": "nats per example; rate = test_kl, distortion = -test_reconstruction"})
    plot(points, stem + ".png", values.experiment)
    for p in points:
        print(f"{p['prior']:>10} beta {p['beta']:<5g} rate {p['rate']:7.2f}  distortion "
              f"{p['distortion']:7.2f}  test LL {p['test_log_likelihood']:8.2f}")
    print(f"Wrote {stem}.png and {stem}.json.")
    return 0


def _define_flags():
    from absl import flags

    flags.DEFINE_string("experiment", None, "The named experiment to sweep.", required=True)
    flags.DEFINE_string("betas", "0.25,0.5,1,2,4", "Comma-separated KL weights (positive).")
    flags.DEFINE_string("priors", "standard,realnvp", "Comma-separated prior names.")
    flags.DEFINE_string("runs_dir", None, "Folder of the runs, the plot and its JSON.",
                        required=True)
    flags.DEFINE_string("data_dir", None, "Folder of the dataset files.")
    flags.DEFINE_integer("epochs", None, "Epochs per run (default: the experiment's schedule).")
    flags.DEFINE_string("train_flags", "", "More flags for every run of trainers.train.")


if __name__ == "__main__":
    from absl import app

    _define_flags()
    app.run(main)

"""`python -m trainers.rd_sweep`: beta-VAEs per prior, resumable, and the rate-distortion plot."""

import json
import os
import shlex
import subprocess
import sys

import pytest
import tensorflow as tf

from tests.tiny_models import write_synthetic_mnist
from trainers import rd_sweep

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = "--latent_dim=4 --hidden_units=16 --batch_size=50 --eval_num_samples=4 --warmup_epochs=0"


def _run(*args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "trainers.rd_sweep", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)


def test_the_sweep_trains_each_beta_and_prior_once_and_plots_them(tmp_path):
    (tmp_path / "data").mkdir()
    data_dir = write_synthetic_mnist(tmp_path / "data", train=100, valid=50, test=20)
    runs = tmp_path / "runs"
    args = ["--experiment=vae_standard_static_mnist", "--betas=0.5,2", "--priors=standard,mog",
            f"--runs_dir={runs}", f"--data_dir={data_dir}", "--epochs=1", f"--train_flags={TINY}"]
    first = _run(*args)
    assert first.returncode == 0, first.stderr[-3000:]
    result = json.load(open(runs / "vae_standard_static_mnist_rd.json"))
    assert result["epochs"] == 1 and result["train_flags"] == shlex.split(TINY)
    points = {(p["prior"], p["beta"]): p for p in result["points"]}
    assert set(points) == {("standard", 0.5), ("standard", 2.0), ("mog", 0.5), ("mog", 2.0)}
    for (prior, beta), point in points.items():
        workdir = runs / rd_sweep.workdir_name("vae_standard_static_mnist", prior, beta)
        evaluation = json.load(open(workdir / "evaluation.json"))
        config = json.load(open(workdir / "config.json"))["experiment"]
        assert (config["model"]["prior"], config["train"]["beta"]) == (prior, beta)
        assert point["rate"] == evaluation["test_kl"]
        assert point["distortion"] == -evaluation["test_reconstruction"]
    # A larger KL weight buys a smaller rate.
    assert points[("standard", 2.0)]["rate"] < points[("standard", 0.5)]["rate"]
    image = tf.io.decode_png(tf.io.read_file(str(runs / "vae_standard_static_mnist_rd.png")))
    assert image.shape[0] > 100 and image.numpy().std() > 0
    again = _run(*args)                       # everything finished: nothing retrains
    assert again.returncode == 0 and again.stdout.count("finished; skipped.") == 4


@pytest.mark.parametrize("betas, message", [
    ("1,-2", "every beta must be positive; got -2"), ("1,0", "every beta must be positive"),
    ("1,x", "'x' is not a number"), ("1,1", "repeats a value")])
def test_bad_betas_are_refused_before_anything_is_written(tmp_path, betas, message):
    runs = tmp_path / "runs"
    result = _run("--experiment=vae_standard_static_mnist", f"--betas={betas}",
                  f"--runs_dir={runs}")
    assert result.returncode == 2 and message in result.stderr.strip().splitlines()[-1]
    assert not runs.exists()


def test_unknown_priors_and_experiments_are_refused(tmp_path):
    with pytest.raises(rd_sweep.SweepError, match="unknown gauss; known: maf, mog"):
        rd_sweep.run_sweep("vae_standard_static_mnist", [1.0], ["gauss"], str(tmp_path / "r"))
    with pytest.raises(rd_sweep.SweepError, match="Unknown experiment 'vae'"):
        rd_sweep.run_sweep("vae", [1.0], ["standard"], str(tmp_path / "r"))
    assert not (tmp_path / "r").exists()


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

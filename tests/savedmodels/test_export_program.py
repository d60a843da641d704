"""`python -m savedmodels.export` on a workdir the training program wrote."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from savedmodels import export

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(module, *args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_export_program_writes_a_version_with_the_workdirs_metrics(tmp_path):
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    rng = np.random.RandomState(0)
    make = lambda n: (rng.rand(n, 28, 28) > 0.7).astype(np.uint8)
    np.savez_compressed(data_dir / "binarized_mnist.npz", x_train=make(100),
                        x_valid=make(50), x_test=make(20))
    workdir, base = str(tmp_path / "run"), str(tmp_path / "exports")
    train_args = ["--experiment=vae_standard_static_mnist", f"--data_dir={data_dir}",
                  f"--workdir={workdir}", "--batch_size=50", "--epochs=1",
                  "--eval_num_samples=8", "--verbose=0"]
    trained = _run("trainers.train", *train_args)
    assert trained.returncode == 0, trained.stderr[-3000:]

    export_args = [f"--workdir={workdir}", f"--export_base={base}", "--name=vae"]
    exported = _run("savedmodels.export", *export_args)
    assert exported.returncode == 0, exported.stderr[-3000:]
    path = os.path.join(base, "vae", "1")
    assert f"to {path}" in exported.stdout

    metadata = export.read_metadata(path)
    evaluation = json.load(open(os.path.join(workdir, "evaluation.json")))
    assert metadata["metrics"]["test_log_likelihood"] == evaluation["test_log_likelihood"]
    assert metadata["metrics"]["log_likelihood_num_samples"] == 8
    assert metadata["training"]["epochs_trained"] == 1
    assert metadata["training"]["command"] == "python -m trainers.train " + " ".join(train_args)
    assert metadata["experiment"]["name"] == "vae_standard_static_mnist"
    assert metadata["dataset"] == "static_mnist"

    x = np.zeros((2, 28, 28, 1), np.float32)
    out = tf.saved_model.load(path).signatures["log_likelihood"](x=x, num_samples=tf.constant(4))
    assert out["log_likelihood"].shape == (2,)

    again = _run("savedmodels.export", *export_args, "--version=1")
    assert again.returncode != 0
    assert "exists; an export never replaces a version" in again.stderr
    assert sorted(os.listdir(os.path.join(base, "vae"))) == ["1"]


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

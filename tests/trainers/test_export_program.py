"""`python -m trainers.export` on a workdir the training program wrote, and
`python -m savedmodels.evaluate_export` on its export."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from savedmodels import export
from zoo import (
    datasets,
    models,  # noqa: F401  (registers the classes best.keras names)
)

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
    exported = _run("trainers.export", *export_args)
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

    # Evaluated through the export alone, the test set gives what the in-memory
    # model gives with the export's settings (seed 0, chunks of 100, per batch).
    evaluated = _run("savedmodels.evaluate_export", f"--export_dir={path}",
                     f"--data_dir={data_dir}", "--num_samples=8", "--batch_size=10")
    assert evaluated.returncode == 0, evaluated.stderr[-3000:]
    figures = json.loads(evaluated.stdout[evaluated.stdout.index("{"):])
    model = keras.models.load_model(os.path.join(workdir, "checkpoints", "best.keras"),
                                    compile=False)
    test = datasets.load_splits("static_mnist", str(data_dir)).test
    expected = [model.importance_estimates(test[i:i + 10], 8, chunk_size=100, seed=0)
                for i in range(0, 20, 10)]
    for key in ("log_likelihood", "elbo"):
        mean = np.concatenate([e[key].numpy() for e in expected]).mean()
        assert figures[f"test_{key}"] == pytest.approx(mean, abs=1e-4)
    assert figures["num_examples"] == 20 and figures["num_samples"] == 8
    assert figures["recorded_metrics"] == metadata["metrics"]

    again = _run("trainers.export", *export_args, "--version=1")
    assert again.returncode != 0
    assert "exists; an export never replaces a version" in again.stderr
    assert sorted(os.listdir(os.path.join(base, "vae"))) == ["1"]


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

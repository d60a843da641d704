"""A user's own `.npz` of images trains, evaluates (bits/dim) and exports from the command line.

(Which architectures take which image shapes: tests/zoo/models/test_image_shapes.py.)
"""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--epochs=1", "--warmup_epochs=1", "--eval_num_samples=4", "--latent_dim=4",
        "--batch_size=20", "--verbose=0"]


def _run(module, *args, expect=0):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == expect, result.stdout[-3000:] + result.stderr[-3000:]
    return result


def _gray_file(path, shape, n_train=100, n_test=20):
    rng = np.random.RandomState(0)
    # Smooth-ish gray images: a random level per image plus noise, so training can learn.
    levels = lambda n: np.clip(rng.randint(30, 220, (n,) + (1,) * len(shape))
                               + rng.randint(-20, 21, (n,) + shape), 0, 255).astype(np.uint8)
    np.savez(path, x_train=levels(n_train), x_test=levels(n_test))
    return str(path)


@pytest.mark.parametrize("experiment,shape,likelihood", [
    ("vae_standard_static_mnist", (28, 20), "discretized_logistic"),
    ("vae_standard_static_mnist", (32, 32, 3), "discretized_logistic_mixture"),
])
def test_gray_images_train_evaluate_in_bits_per_dim_and_export(tmp_path, experiment, shape,
                                                               likelihood):
    data = _gray_file(tmp_path / "mine.npz", shape)
    workdir = str(tmp_path / "run")
    result = _run("trainers.train", f"--experiment={experiment}", f"--dataset={data}",
                  f"--likelihood={likelihood}", f"--workdir={workdir}", "--hidden_units=16",
                  *TINY)
    assert "pixels gray (inferred: values above 1" in result.stderr
    assert "validating on the last 10 of its 100 training images" in result.stderr
    evaluation = json.load(open(os.path.join(workdir, "evaluation.json")))
    assert evaluation["pixels"] == "gray" and evaluation["dataset"] == data
    assert evaluation["paper_nll"] is None   # The paper's number is of another dataset.
    dims = math.prod(shape)
    assert evaluation["test_nll_bits_per_dim"] == pytest.approx(
        -evaluation["test_log_likelihood"] / (dims * math.log(2)), rel=1e-6)
    assert evaluation["test_nll_bits_per_dim"] > 0   # A probability of 8-bit levels: at most 1.
    assert evaluation["log_likelihood_above_elbo_on_every_batch"] is True

    export_base = str(tmp_path / "exports")
    _run("trainers.export", f"--workdir={workdir}", f"--export_base={export_base}",
         "--name=mine")
    export_dir = os.path.join(export_base, "mine", "1")
    metadata = json.load(open(os.path.join(export_dir, "assets.extra", "zoo_export.json")))
    assert metadata["pixels"] == "gray"
    assert "gray levels k / 255" in metadata["signatures"]["log_likelihood"]["inputs"]["x"]
    out = _run("savedmodels.evaluate_export", f"--export_dir={export_dir}",
               f"--data_dir={tmp_path}", "--num_samples=4").stdout
    exported = json.loads(out[out.index("{"):])
    # The export reads the same file, k / 255, and agrees with the training program's figure.
    assert exported["num_examples"] == 20
    assert exported["test_log_likelihood"] == pytest.approx(
        evaluation["test_log_likelihood"], abs=max(5.0, 0.02 * abs(
            evaluation["test_log_likelihood"])))
    assert exported["test_nll_bits_per_dim"] == pytest.approx(
        -exported["test_log_likelihood"] / (dims * math.log(2)), rel=1e-6)


def test_a_likelihood_that_does_not_fit_the_pixels_is_refused_before_the_workdir(tmp_path):
    data = _gray_file(tmp_path / "mine.npz", (28, 20))
    workdir = tmp_path / "run"
    result = _run("trainers.train", "--experiment=vae_standard_static_mnist",
                  f"--dataset={data}", f"--workdir={workdir}", *TINY, expect=2)
    assert ("The likelihood 'bernoulli' models binary and dynamic pixels; the data has gray "
            "pixels (8-bit gray levels k / 255). Use --likelihood=discretized_logistic or "
            "discretized_logistic_mixture.") in result.stderr
    assert not (workdir / "config.json").exists()
    # Binary pixels asked of gray levels: the file, the split and the values are named.
    result = _run("trainers.train", "--experiment=vae_standard_static_mnist",
                  f"--dataset={data}", "--pixels=binary", f"--workdir={workdir}", *TINY,
                  expect=2)
    assert f"{data}: split 'train' has values up to" in result.stderr


def test_an_image_shape_the_architecture_cannot_take_is_refused_before_the_workdir(tmp_path):
    data = _gray_file(tmp_path / "mine.npz", (30, 30))
    workdir = tmp_path / "run"
    result = _run("trainers.train", "--experiment=resnet_vae_standard_static_mnist",
                  f"--dataset={data}", "--likelihood=discretized_logistic",
                  f"--workdir={workdir}", *TINY, expect=2)
    assert ("resnet with the discretized_logistic likelihood on 30 x 30 x 1 images: height "
            "and width must be divisible by 4") in result.stderr
    assert "got 30 x 30" in result.stderr and not (workdir / "config.json").exists()


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

"""The training and evaluation programs end to end on a tiny synthetic dataset."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(module, *args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("data")
    rng = np.random.RandomState(0)
    protos = rng.rand(5, 28, 28) > 0.7
    make = lambda n: protos[rng.randint(5, size=n)].astype(np.uint8)
    np.savez_compressed(directory / "binarized_mnist.npz", x_train=make(200),
                        x_valid=make(50), x_test=make(60))
    return str(directory)


def test_train_writes_checkpoints_and_evaluation_then_resumes(data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    common = ["--experiment=vae_standard_static_mnist", f"--data_dir={data_dir}",
              f"--workdir={workdir}", "--batch_size=50", "--warmup_epochs=2",
              "--eval_num_samples=16", "--verbose=0"]
    _run("trainers.train", *common, "--epochs=2")

    state = json.load(open(os.path.join(workdir, "checkpoints", "state.json")))
    assert state["epoch"] == 2 and state["checkpoint"] == "ckpt-2.weights.h5"
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == [
        "best.keras", "ckpt-1.json", "ckpt-1.weights.h5", "ckpt-2.json", "ckpt-2.weights.h5",
        "state.json"]
    assert os.listdir(os.path.join(workdir, "tensorboard"))
    evaluation = json.load(open(os.path.join(workdir, "evaluation.json")))
    assert evaluation["epochs_trained"] == 2 and evaluation["resumed_from_epoch"] == 0
    assert evaluation["log_likelihood_num_samples"] == 16
    assert evaluation["log_likelihood_num_examples"] == 60
    assert evaluation["elbo_num_examples"] == 60
    assert evaluation["test_elbo"] == pytest.approx(
        evaluation["test_reconstruction"] - evaluation["test_kl"], abs=1e-3)
    assert evaluation["test_log_likelihood"] > evaluation["test_elbo"]
    assert evaluation["log_likelihood_above_elbo_on_every_batch"] is True

    # The same command with more epochs continues from epoch 2.
    out = _run("trainers.train", *common, "--epochs=3")
    assert "Resuming from epoch 2" in out
    evaluation = json.load(open(os.path.join(workdir, "evaluation.json")))
    assert evaluation["epochs_trained"] == 3 and evaluation["resumed_from_epoch"] == 2
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == [
        "best.keras", "ckpt-2.json", "ckpt-2.weights.h5", "ckpt-3.json", "ckpt-3.weights.h5",
        "state.json"]

    # The evaluation program recomputes from the best checkpoint.
    _run("trainers.evaluate", f"--workdir={workdir}", "--num_samples=32",
         "--num_examples=20")
    again = json.load(open(os.path.join(workdir, "evaluation.json")))
    assert again["log_likelihood_num_samples"] == 32
    assert again["log_likelihood_num_examples"] == 20
    assert again["log_likelihood_examples"] == "np.random.RandomState(0).permutation(60)[:20]"
    assert again["epochs_trained"] == 3                     # training record kept
    assert again["test_elbo"] == pytest.approx(evaluation["test_elbo"], abs=1e-4)
    # The per-example values beside it, for paired comparisons.
    with np.load(os.path.join(workdir, "test_log_likelihoods.npz")) as per_example:
        np.testing.assert_array_equal(per_example["index"],
                                      np.random.RandomState(0).permutation(60)[:20])
        assert int(per_example["num_samples"]) == 32
        assert per_example["log_likelihood"].mean() == pytest.approx(
            again["test_log_likelihood"], rel=1e-6)
        assert np.all(per_example["log_likelihood"] > per_example["elbo"] - 5.0)
    out = _run("trainers.compare", f"--workdirs={workdir},{workdir}")
    assert f"| vae_standard_static_mnist | {again['test_log_likelihood']:.2f} ± " in out
    assert "| +0.00 ± 0.00 |" in out and "| baseline |" in out


def test_a_workdir_of_another_model_is_refused(data_dir, tmp_path):
    import dataclasses

    from trainers import experiments, training
    workdir = str(tmp_path / "run")
    os.makedirs(workdir)
    config = experiments.get_experiment("vae_standard_static_mnist")
    training._save_workdir_config(workdir, config, data_dir)
    other = dataclasses.replace(config, model=dataclasses.replace(config.model, latent_dim=2))
    with pytest.raises(ValueError, match="different model or dataset"):
        training._save_workdir_config(workdir, other, data_dir)


def test_learned_priors_train_with_data_dependent_initialization(tmp_path):
    # 600 training images: enough for the 500 "data" pseudo-inputs.
    rng = np.random.RandomState(1)
    x_train = (rng.rand(600, 28, 28) > 0.7).astype(np.uint8)
    np.savez_compressed(tmp_path / "binarized_mnist.npz", x_train=x_train,
                        x_valid=x_train[:50], x_test=x_train[:40])
    common = [f"--data_dir={tmp_path}", "--batch_size=100", "--warmup_epochs=1",
              "--eval_num_samples=8", "--verbose=0", "--epochs=1"]
    _run("trainers.train", "--experiment=vae_vamp_data_static_mnist",
         f"--workdir={tmp_path / 'vamp_data'}", *common)
    import keras

    import zoo.priors  # noqa: F401  (registers the zoo's layers for loading)
    model = keras.models.load_model(tmp_path / "vamp_data" / "checkpoints" / "best.keras",
                                    compile=False)
    pseudo = model.prior.pseudo_inputs.numpy().reshape(500, -1)
    flat_train = x_train.reshape(600, -1).astype(np.float32)
    # Every pseudo-input is a (fixed, untrained) training image, and they are distinct ones.
    matches = (pseudo[:, None, :] == flat_train[None, :, :]).all(-1)
    assert matches.any(1).all()
    assert len(set(matches.argmax(1))) == 500

    _run("trainers.train", "--experiment=vae_standard_static_mnist", "--prior=realnvp",
         f"--workdir={tmp_path / 'realnvp'}", *common)
    evaluation = json.load(open(tmp_path / "realnvp" / "evaluation.json"))
    assert np.isfinite(evaluation["test_log_likelihood"])
    assert evaluation["test_log_likelihood"] > evaluation["test_elbo"]
    config = json.load(open(tmp_path / "realnvp" / "config.json"))["experiment"]
    assert config["model"]["prior"] == "realnvp"
    assert config["model"]["prior_config"] == {"num_blocks": 20, "hidden_units": [256]}


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

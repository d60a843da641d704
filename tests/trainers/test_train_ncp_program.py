"""The NCP stage-2 program and the sample-grid program on a tiny synthetic base model."""

import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(module, *args, check=True):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    if check:
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result


@pytest.fixture(scope="module")
def base_workdir(tmp_path_factory):
    """A 2-epoch VAE on synthetic binary 28x28 images (five prototypes plus noise)."""
    data_dir = tmp_path_factory.mktemp("data")
    rng = np.random.RandomState(0)
    protos = rng.rand(5, 28, 28) > 0.7
    make = lambda n: protos[rng.randint(5, size=n)].astype(np.uint8)
    np.savez_compressed(data_dir / "binarized_mnist.npz", x_train=make(300), x_valid=make(50),
                        x_test=make(40))
    workdir = str(tmp_path_factory.mktemp("base"))
    _run("trainers.train", "--experiment=vae_standard_static_mnist", f"--data_dir={data_dir}",
         f"--workdir={workdir}", "--batch_size=50", "--epochs=2", "--warmup_epochs=1",
         "--eval_num_samples=8", "--verbose=0")
    return workdir


def test_train_ncp_writes_model_and_evaluation_then_grids(base_workdir, tmp_path):
    workdir = str(tmp_path / "ncp")
    _run("trainers.train_ncp", f"--base_workdir={base_workdir}", f"--workdir={workdir}",
         "--epochs=3", "--batch_size=50", "--classifier_units=16", "--classifier_blocks=1",
         "--log_normalizer_samples=20000", "--log_normalizer_chunk_size=8000",
         "--num_proposals=40", "--sir_samples=10", "--eval_num_samples=20",
         "--eval_num_examples=30", "--verbose=0")

    assert sorted(os.listdir(workdir)) == [".lock", "config.json", "evaluation.json",
                                           "model.keras", "tensorboard"]
    assert open(os.path.join(workdir, ".lock")).read() == ""   # released
    config = json.load(open(os.path.join(workdir, "config.json")))
    assert config["base_workdir"] == base_workdir
    assert config["base_experiment"] == "vae_standard_static_mnist"
    assert config["ncp"]["num_proposals"] == 40 and "--epochs=3" in config["command"]

    evaluation = json.load(open(os.path.join(workdir, "evaluation.json")))
    classifier = evaluation["classifier"]["z"]
    assert 0 < classifier["val_loss"] <= 2 * math.log(2) + 0.05
    assert classifier["jsd_estimate"] == pytest.approx(
        math.log(2) - classifier["val_loss"] / 2)
    assert 1 <= evaluation["best_epoch"] <= evaluation["epochs_trained"] <= 3
    log_z = evaluation["log_normalizer"]
    assert log_z["num_samples"] == 20000 and 0 <= log_z["stderr"] < 0.2
    assert 1 <= evaluation["sir"]["min_effective_sample_size"] <= 40
    assert evaluation["log_likelihood_num_examples"] == 30
    assert evaluation["improvement"] == pytest.approx(
        evaluation["test_log_likelihood_ncp"] - evaluation["test_log_likelihood_base"], abs=1e-4)
    assert evaluation["improvement_stderr"] >= log_z["stderr"]
    assert evaluation["test_log_likelihood_base"] < 0

    # The saved model carries the estimate; the VAE under it stays frozen.
    import keras

    import zoo.models  # noqa: F401  (registers the zoo's layers)
    model = keras.models.load_model(os.path.join(workdir, "model.keras"), compile=False)
    report = model.prior.log_normalizer_report()
    assert report["num_samples"] == 20000
    assert report["log_normalizer"] == pytest.approx(log_z["log_normalizer"], abs=1e-6)
    assert not model.trainable_weights

    # The export program takes the NCP folder: the NCP-VAE with its metrics and log Z.
    export_base = str(tmp_path / "exports")
    _run("trainers.export", f"--workdir={workdir}", f"--export_base={export_base}",
         "--name=ncp")
    from savedmodels import export
    metadata = export.read_metadata(os.path.join(export_base, "ncp", "1"))
    assert metadata["metrics"]["test_log_likelihood"] == evaluation["test_log_likelihood_ncp"]
    assert metadata["noise_contrastive_prior"]["log_normalizer"] == log_z
    assert metadata["experiment"]["name"] == "vae_standard_static_mnist"
    loaded = tf.saved_model.load(os.path.join(export_base, "ncp", "1"))
    drawn = loaded.signatures["sample"](num_samples=tf.constant(3), seed=tf.constant(1, tf.int64))
    np.testing.assert_allclose(drawn["z"], model.sample(3, seed=1)["z"], atol=1e-5)

    grids = str(tmp_path / "grids")
    out = _run("trainers.sample_ncp", f"--workdir={workdir}", f"--output_dir={grids}",
               "--num_samples=9", "--num_proposals=20", "--langevin_steps=3").stdout
    assert sorted(os.listdir(grids)) == ["base.png", "langevin.png", "sir.png"]
    assert "sir: " in out
    images = {name: tf.io.decode_png(open(os.path.join(grids, name), "rb").read()).numpy()
              for name in os.listdir(grids)}
    assert all(image.shape == (84, 84, 1) for image in images.values())
    assert not np.array_equal(images["base.png"], images["sir.png"])


def test_train_ncp_refuses_a_folder_that_is_not_a_training_workdir(tmp_path):
    result = _run("trainers.train_ncp", f"--base_workdir={tmp_path}",
                  f"--workdir={tmp_path / 'ncp'}", check=False)
    assert result.returncode != 0
    assert "is not a training workdir" in result.stderr
    assert not os.path.exists(tmp_path / "ncp")


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

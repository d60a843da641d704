"""`python -m trainers.analyze` on a workdir the training program wrote: numbers and figures."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.tiny_models import write_synthetic_mnist
from trainers import analyze

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _run(module, *args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture(scope="module")
def vamp_workdir(tmp_path_factory):
    data_dir = write_synthetic_mnist(tmp_path_factory.mktemp("data"), train=100, valid=50,
                                     test=30)
    workdir = str(tmp_path_factory.mktemp("run") / "vamp")
    trained = _run("trainers.train", "--experiment=vae_vamp_static_mnist", f"--data_dir={data_dir}",
                   f"--workdir={workdir}", "--latent_dim=4", "--hidden_units=16",
                   "--batch_size=50", "--epochs=2", "--eval_num_samples=8", "--verbose=0")
    assert trained.returncode == 0, trained.stderr[-3000:]
    return workdir, data_dir


def _png(path):
    return tf.io.decode_png(tf.io.read_file(path)).numpy()


def test_analyze_writes_the_analyses_and_figures_of_a_workdir(vamp_workdir, tmp_path):
    workdir, data_dir = vamp_workdir
    output = str(tmp_path / "analysis")
    result = _run("trainers.analyze", f"--workdir={workdir}", f"--data_dir={data_dir}",
                  f"--output_dir={output}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "active units z" in result.stdout
    analysis = json.load(open(os.path.join(output, "analysis.json")))
    assert analysis["num_examples"] == 30 and analysis["dataset"] == "static_mnist"
    units = analysis["active_units"]["z"]
    assert units["dims"] == 4 and units["count"] == sum(a > 0.01 for a in units["activity"])
    rd = analysis["rate_distortion"]
    assert rd["rate"] > 0 and rd["distortion"] > 0 and not rd["rate_closed_form"]
    # The histogram is numpy's of the training program's per-image values, in the
    # analysis's order of the test images.
    saved = np.load(os.path.join(workdir, "test_log_likelihoods.npz"))
    by_index = dict(zip(saved["index"].tolist(), saved["log_likelihood"]))
    values = [by_index[i] for i in analyze.test_subset(30).tolist()]
    counts, edges = np.histogram(values, bins=50)
    histogram = analysis["test_log_likelihood"]["histogram"]
    assert histogram["counts"] == counts.tolist()
    np.testing.assert_allclose(histogram["edges"], edges)
    assert analysis["test_log_likelihood"]["file"].endswith("test_log_likelihoods.npz")

    sizes = {"samples.png": (8 * 28, 8 * 28), "reconstructions.png": (2 * 28, 16 * 28),
             "interpolations.png": (6 * 28, 9 * 28), "pseudo_inputs.png": (8 * 28, 8 * 28),
             "pseudo_input_samples.png": (6 * 28, 8 * 28)}
    assert set(sizes) <= set(analysis["figures"])
    assert "training_curves.png" in analysis["figures"]
    for name in analysis["figures"]:
        image = _png(os.path.join(output, name))
        assert image.std() > 0, name                       # not a constant picture
        if name in sizes:
            assert image.shape[:2] == sizes[name], name


def test_training_ends_with_samples_and_reconstructions_in_tensorboard(vamp_workdir):
    import glob

    workdir, _ = vamp_workdir
    images = {}
    for path in glob.glob(os.path.join(workdir, "tensorboard", "images", "events.*")):
        for event in tf.compat.v1.train.summary_iterator(path):
            for value in event.summary.value:
                # An image summary's tensor: [width, height, PNG bytes...].
                images[value.tag] = tf.io.decode_png(tf.make_ndarray(value.tensor)[2]).numpy()
    assert images["samples"].shape == (8 * 28, 8 * 28, 1)
    assert images["reconstructions"].shape == (2 * 28, 16 * 28, 1)
    assert images["samples"].std() > 0 and images["reconstructions"].std() > 0


def test_training_curves_need_elbo_logs(tmp_path):
    # An NCP folder's TensorBoard logs are its classifier's: no ELBO curve, no figure.
    from trainers import analysis_figures

    for split in ("train", "validation"):
        with tf.summary.create_file_writer(str(tmp_path / "tensorboard" / split)).as_default():
            for step in range(3):
                tf.summary.scalar("epoch_loss", 0.5 - 0.1 * step, step=step)
    curves = analysis_figures.training_curves(str(tmp_path))
    np.testing.assert_allclose(curves["train"]["epoch_loss"][1], [0.5, 0.4, 0.3], rtol=1e-6)
    assert analysis_figures._curves_figure(str(tmp_path), str(tmp_path)) is None
    assert not (tmp_path / "training_curves.png").exists()


def test_training_curves_of_a_run_that_blew_up_show_the_ordinary_epochs(tmp_path, monkeypatch):
    # One epoch's training ELBO of -3e10 (a blow-up) must not squash the other epochs.
    from trainers import analysis_figures

    elbo = {"train": -100.0 - np.arange(40)[::-1], "validation": -105.0 - np.arange(40)[::-1]}
    elbo["train"][20] = -3e10
    for split, values in elbo.items():
        with tf.summary.create_file_writer(str(tmp_path / "tensorboard" / split)).as_default():
            for step, value in enumerate(values):
                tf.summary.scalar("epoch_elbo", value, step=step)
    figures = []
    monkeypatch.setattr(analysis_figures, "_save", lambda figure, path: figures.append(figure))
    assert analysis_figures._curves_figure(str(tmp_path), str(tmp_path)) == "training_curves.png"
    low, high = figures[0].axes[0].get_ylim()
    assert low == pytest.approx(min(np.percentile(v, 5) for v in elbo.values()))
    assert -100.0 < high < -90.0


def test_what_is_not_a_workdir_gets_one_line_and_nothing_is_written(tmp_path):
    output = tmp_path / "analysis"
    result = _run("trainers.analyze", f"--workdir={tmp_path}", f"--output_dir={output}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        f"trainers.analyze: {tmp_path} is not a training workdir (it has no config.json).")
    assert not output.exists()
    both = _run("trainers.analyze", f"--workdir={tmp_path}", "--pretrained=vae_vamp_static_mnist")
    assert both.returncode == 2 and "exactly one of" in both.stderr


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

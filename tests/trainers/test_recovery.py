"""`trainers.train` on damaged workdirs and data: a checkpoint cut short, a `state.json` cut
short, a full disk (a real write failure: the file size limit, RLIMIT_FSIZE), a data file cut
short. Each recovers or stops with one line naming the file; none is a traceback."""

import json
import os
import resource
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--experiment=vae_standard_static_mnist", "--batch_size=50", "--latent_dim=4",
        "--hidden_units=16", "--warmup_epochs=1", "--eval_num_samples=4", "--verbose=0"]


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from tests.tiny_models import write_synthetic_mnist
    return write_synthetic_mnist(tmp_path_factory.mktemp("data"), train=100, valid=50, test=20)


def _train(data_dir, workdir, epochs, max_file_bytes=None):
    limit = None
    if max_file_bytes is not None:   # every file the program writes stops growing there
        limit = lambda: resource.setrlimit(resource.RLIMIT_FSIZE,
                                           (max_file_bytes, max_file_bytes))
    return subprocess.run(
        [sys.executable, "-m", "trainers.train", *TINY, f"--data_dir={data_dir}",
         f"--workdir={workdir}", f"--epochs={epochs}"], cwd=ROOT, preexec_fn=limit,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT),
        capture_output=True, text=True, timeout=300)


def _ok(result):
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def _one_line_error(result):
    assert result.returncode == 2, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    return result.stderr.strip().splitlines()[-1]


def _contents(folder):
    return {name: open(os.path.join(folder, name), "rb").read() for name in os.listdir(folder)}


def _evaluation(workdir):
    with open(os.path.join(workdir, "evaluation.json")) as f:
        return json.load(f)


def test_damaged_checkpoints_are_recovered_and_a_failed_save_changes_nothing(data_dir,
                                                                            tmp_path):
    workdir = str(tmp_path / "run")
    checkpoints = os.path.join(workdir, "checkpoints")
    _ok(_train(data_dir, workdir, 2))

    # A newest checkpoint cut short: the previous one is resumed from, with a warning.
    newest = os.path.join(checkpoints, "ckpt-2.weights.h5")
    with open(newest, "r+b") as f:
        f.truncate(os.path.getsize(newest) // 3)
    log = _ok(_train(data_dir, workdir, 3))
    assert f"Could not load the newest checkpoint {newest} (" in log
    assert "Resuming from epoch 1 (ckpt-1.weights.h5)." in log
    assert (_evaluation(workdir)["epochs_trained"], _evaluation(workdir)["resumed_from_epoch"]) \
        == (3, 1)

    # state.json cut short: rebuilt from ckpt-3.json.
    state = os.path.join(checkpoints, "state.json")
    text = open(state).read()
    with open(state, "w") as f:
        f.write(text[:len(text) // 2])
    log = _ok(_train(data_dir, workdir, 4))
    assert f"{state} is unreadable (not JSON: " in log and "rebuilt from ckpt-3.json" in log
    assert "Resuming from epoch 3 (ckpt-3.weights.h5)." in log
    assert _evaluation(workdir)["epochs_trained"] == 4

    # A full disk at epoch 5's save: one line naming the file; the checkpoints as they were.
    before = _contents(checkpoints)
    limit = os.path.getsize(os.path.join(checkpoints, "ckpt-4.weights.h5")) // 2
    line = _one_line_error(_train(data_dir, workdir, 5, max_file_bytes=limit))
    assert line.startswith(f"trainers.train: Could not write {checkpoints}/"), line
    assert "File too large" in line and "as they were after epoch 4" in line, line
    after = _contents(checkpoints)
    assert after.keys() == before.keys() and after == before

    # The same command, with room: it resumes from epoch 4.
    log = _ok(_train(data_dir, workdir, 5))
    assert "Resuming from epoch 4" in log and _evaluation(workdir)["epochs_trained"] == 5


def test_a_data_file_cut_short_is_named_in_one_line(data_dir, tmp_path):
    damaged = tmp_path / "data"
    damaged.mkdir()
    whole = open(os.path.join(data_dir, "binarized_mnist.npz"), "rb").read()
    (damaged / "binarized_mnist.npz").write_bytes(whole[:len(whole) // 2])
    line = _one_line_error(_train(str(damaged), str(tmp_path / "run"), 1))
    assert line.startswith(f"trainers.train: {damaged}/binarized_mnist.npz is not a readable "
                           f".npz archive (BadZipFile: "), line
    assert line.endswith("it may be cut short. Copy it again (the layout of ../shared/data).")
    # Nothing written but the lock: the data is read first.
    assert os.listdir(tmp_path / "run") == [".lock"]


def test_an_unknown_experiment_and_prior_are_one_line(data_dir, tmp_path):
    command = [sys.executable, "-m", "trainers.train", f"--data_dir={data_dir}",
               f"--workdir={tmp_path / 'run'}"]
    run = lambda *flags: subprocess.run([*command, *flags], cwd=ROOT, capture_output=True,
                                        text=True, timeout=120,
                                        env=dict(os.environ, PYTHONPATH=ROOT))
    line = _one_line_error(run("--experiment=vae_nonesuch_static_mnist"))
    assert line.startswith("trainers.train: Unknown experiment 'vae_nonesuch_static_mnist'. "
                           "Known experiments: "), line
    line = _one_line_error(run("--experiment=vae_vamp_static_mnist", "--prior=nonesuch"))
    assert line.startswith("trainers.train: Unknown prior 'nonesuch'. Known priors: "), line


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

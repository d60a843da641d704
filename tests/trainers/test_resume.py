"""Kill and resume: a training killed with SIGKILL at any step resumes with the same command,
loses at most the epoch in progress, and (with --deterministic) ends bit-identical to an
uninterrupted run."""

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.tiny_models import write_synthetic_mnist
from trainers.training import FAULT_KILL_AT_STEP

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STEPS_PER_EPOCH = 4      # 200 training images, batch 50
EPOCHS = 3


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_mnist(tmp_path_factory.mktemp("data"))


def _train(data_dir, workdir, kill_at_step=None):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    env.pop(FAULT_KILL_AT_STEP, None)
    if kill_at_step is not None:
        env[FAULT_KILL_AT_STEP] = str(kill_at_step)
    command = [sys.executable, "-m", "trainers.train", "--experiment=vae_standard_static_mnist",
               f"--data_dir={data_dir}", f"--workdir={workdir}", "--batch_size=50",
               f"--epochs={EPOCHS}", "--warmup_epochs=2", "--eval_num_samples=4",
               "--steps_per_execution=1", "--deterministic", "--verbose=0"]
    return subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=300)


def _state(workdir):
    path = os.path.join(workdir, "checkpoints", "state.json")
    return json.load(open(path)) if os.path.exists(path) else None


def test_killed_at_several_steps_resumes_and_ends_like_an_uninterrupted_run(data_dir, tmp_path):
    reference = _train(data_dir, str(tmp_path / "reference"))
    assert reference.returncode == 0, reference.stderr[-3000:]
    expected = json.load(open(tmp_path / "reference" / "evaluation.json"))
    assert expected["optimizer_steps"] == EPOCHS * STEPS_PER_EPOCH

    workdir = str(tmp_path / "killed")
    # (kill after global step, the last finished epoch the checkpoint then holds)
    for step, checkpointed_epoch in [(3, None),   # mid-epoch 1: nothing saved yet
                                     (6, 1),      # mid-epoch 2
                                     (8, 1)]:     # epoch 2's last step, before its save
        killed = _train(data_dir, workdir, kill_at_step=step)
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
        state = _state(workdir)
        if checkpointed_epoch is None:
            assert state is None
        else:
            assert state["epoch"] == checkpointed_epoch
            assert state["checkpoint"] == f"ckpt-{checkpointed_epoch}.weights.h5"
            assert os.path.exists(os.path.join(workdir, "checkpoints", state["checkpoint"]))
        assert not os.path.exists(os.path.join(workdir, "evaluation.json"))

    resumed = _train(data_dir, workdir)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "Resuming from epoch 1 (ckpt-1.weights.h5)." in resumed.stdout
    result = json.load(open(os.path.join(workdir, "evaluation.json")))
    assert result["epochs_trained"] == EPOCHS and result["resumed_from_epoch"] == 1
    assert result["optimizer_steps"] == EPOCHS * STEPS_PER_EPOCH
    assert result["weights_sha256"] == expected["weights_sha256"]
    assert result["test_log_likelihood"] == expected["test_log_likelihood"]


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

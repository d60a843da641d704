"""MultiWorkerMirroredStrategy: two worker processes on 127.0.0.1 train in lockstep."""

import json
import os
import re
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from tests.tiny_models import write_synthetic_mnist

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def _start_workers(argv, tmp_path, count=2, extra_env=None):
    """Starts `argv` once per worker with its TF_CONFIG (and `extra_env[index]`)."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(count)]
    processes = []
    for index in range(count):
        tf_config = {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        temp = tmp_path / f"tmp-{index}"
        temp.mkdir(parents=True, exist_ok=True)
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT,
                   TF_CONFIG=json.dumps(tf_config), TMPDIR=str(temp),
                   **(extra_env or {}).get(index, {}))
        processes.append(subprocess.Popen(argv, cwd=ROOT, env=env, text=True,
                                          stdout=subprocess.PIPE, stderr=subprocess.PIPE))
    return processes


def _run_workers(argv, tmp_path, count=2, timeout=300):
    """Runs `argv` once per worker with its TF_CONFIG; returns the finished processes."""
    processes = _start_workers(argv, tmp_path, count)
    results = []
    try:
        for process in processes:
            stdout, stderr = process.communicate(timeout=timeout)
            results.append((process.returncode, stdout, stderr))
    finally:
        for process in processes:
            process.kill()
    return results


def _last_json(stdout):
    return json.loads(re.findall(r"^\{.*?^\}", stdout, flags=re.M | re.S)[-1])


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    return write_synthetic_mnist(tmp_path_factory.mktemp("data"))


def test_two_workers_end_with_identical_weights_and_the_chief_checkpoint_loads(
        data_dir, tmp_path):
    workdir = str(tmp_path / "run")
    results = _run_workers(
        [sys.executable, "-m", "trainers.train", "--experiment=vae_standard_static_mnist",
         f"--data_dir={data_dir}", f"--workdir={workdir}", "--strategy=multi_worker",
         "--batch_size=50", "--epochs=2", "--warmup_epochs=2", "--eval_num_samples=4",
         "--verbose=0"], tmp_path)
    for returncode, stdout, stderr in results:
        assert returncode == 0, stderr[-3000:]
    chief, other = (_last_json(stdout) for _, stdout, _ in results)
    # 200 images, global batch 50 split over two workers: 4 steps per epoch.
    assert chief["replicas"] == other["replicas"] == 2
    assert chief["optimizer_steps"] == other["optimizer_steps"] == 8
    assert chief["weights_sha256"] == other["weights_sha256"]
    assert other["task"] == "worker/1" and "test_log_likelihood" not in other
    assert np.isfinite(chief["test_log_likelihood"])
    # The other worker wrote only to its temporary folder ("zoo-worker-1-*"), and removed it.
    assert [name for name in os.listdir(tmp_path / "tmp-1") if name.startswith("zoo-")] == []
    assert sorted(os.listdir(os.path.join(workdir, "checkpoints"))) == [
        "best.keras", "ckpt-1.json", "ckpt-1.weights.h5", "ckpt-2.json", "ckpt-2.weights.h5",
        "state.json"]

    from trainers import training
    config, _ = training.load_workdir_config(workdir)
    model = training.compiled_model(config, (28, 28, 1))
    model.optimizer.build(model.trainable_variables)
    model.load_weights(os.path.join(workdir, "checkpoints", "ckpt-2.weights.h5"))
    assert training.weights_digest(model) == chief["weights_sha256"]
    assert int(model.optimizer.iterations.numpy()) == 8


def test_a_worker_killed_mid_run_then_both_restarted_ends_like_an_uninterrupted_run(
        data_dir, tmp_path):
    """Worker 1 is SIGKILLed at step 6 (epoch 2 of 3, after the chief's epoch-1 checkpoint);
    worker 0, stuck in a collective, is killed too; the same command on both resumes from
    epoch 1 and ends with the weights of an uninterrupted run."""
    train = lambda workdir: [
        sys.executable, "-m", "trainers.train", "--experiment=vae_standard_static_mnist",
        f"--data_dir={data_dir}", f"--workdir={workdir}", "--strategy=multi_worker",
        "--batch_size=50", "--epochs=3", "--warmup_epochs=2", "--eval_num_samples=4",
        "--latent_dim=4", "--hidden_units=16", "--verbose=0"]
    uninterrupted = _run_workers(train(tmp_path / "whole"), tmp_path / "a")
    assert [r[0] for r in uninterrupted] == [0, 0], uninterrupted[0][2][-3000:]

    workdir = tmp_path / "run"
    processes = _start_workers(train(workdir), tmp_path / "b",
                               extra_env={1: {"ZOO_FAULT_KILL_AT_STEP": "6"}})
    try:
        assert processes[1].wait(timeout=300) == -9, processes[1].communicate()[1][-3000:]
        time.sleep(1.0)
    finally:
        for process in processes:
            process.kill()
            process.wait()
    state = json.loads((workdir / "checkpoints" / "state.json").read_text())
    assert state["epoch"] == 1

    resumed = _run_workers(train(workdir), tmp_path / "c")
    assert [r[0] for r in resumed] == [0, 0], resumed[0][2][-3000:]
    assert "Resuming from epoch 1" in resumed[0][1] and "Resuming from epoch 1" in resumed[1][1]
    whole, again = _last_json(uninterrupted[0][1]), _last_json(resumed[0][1])
    assert again["resumed_from_epoch"] == 1 and again["optimizer_steps"] == 12
    assert again["weights_sha256"] == whole["weights_sha256"]
    assert _last_json(resumed[1][1])["weights_sha256"] == whole["weights_sha256"]


KERAS_UNDER_MULTI_WORKER = textwrap.dedent("""
    import sys
    import numpy as np
    import tensorflow as tf
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    import keras

    class Scalars(keras.Model):
        # Logs scalars, as every model does; `reshape` gives them the workaround's [1].
        def __init__(self, reshape):
            super().__init__()
            self.dense, self.reshape = keras.layers.Dense(1), reshape

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x = data[0] if isinstance(data, (tuple, list)) else data
            with tf.GradientTape() as tape:
                loss = tf.reduce_mean(tf.square(self(x)))
            gradients = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trainable_variables))
            return {"loss": tf.reshape(loss, [1]) if self.reshape else loss}

    def fit(name, model, data, steps_per_execution=1):
        with strategy.scope():
            model = model()
            model(np.zeros((1, 3), np.float32))   # Creates the weights in the scope.
            model.compile("sgd", None if isinstance(model, Scalars) else "mse",
                          steps_per_execution=steps_per_execution)
        try:
            model.fit(data, steps_per_epoch=2, epochs=1, verbose=0)
            print(name, "worked")
        except Exception as error:
            print(name, "failed:", str(error).replace("\\n", " "))

    x = np.ones((32, 3), np.float32)
    pairs = tf.data.Dataset.from_tensor_slices((x, x[:, :1])).batch(8).repeat()
    inputs = tf.data.Dataset.from_tensor_slices(x).batch(8).repeat()
    case = sys.argv[1]   # One per process: a failed collective poisons the next ones.
    if case == "tuple":
        fit(case, lambda: keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)]), pairs)
    elif case == "scalar":
        fit(case, lambda: Scalars(reshape=False), inputs)
    elif case == "workaround":
        fit(case, lambda: Scalars(reshape=True), inputs)
    else:
        fit(case, lambda: Scalars(reshape=True), inputs, steps_per_execution=2)
""")


def test_keras_issue_72388_is_still_there(tmp_path):
    # Keras 3.15 under MultiWorkerMirroredStrategy (tensorflow/tensorflow#72388):
    # fit on (x, y) pairs fails on a tuple of PerReplica values, and a step's
    # scalar logs fail their reduction along axis 0. The zoo's models take x
    # alone and log through zoo/models/keras_workarounds.py. When a "failed"
    # below becomes "worked", delete that workaround (or, for
    # steps_per_execution, the override in trainers/training.py).
    expected = {
        "tuple": "Attempt to convert a value (PerReplica",
        "scalar": "Invalid reduction dimension 0 for input with 0 dimensions",
        "workaround": None,
        "steps_per_execution": "You must feed a value for placeholder tensor",
    }
    for case, outcome in expected.items():
        results = _run_workers([sys.executable, "-c", KERAS_UNDER_MULTI_WORKER, case],
                               tmp_path / case)
        for returncode, stdout, stderr in results:
            assert returncode == 0, stderr[-3000:]
            line = [line for line in stdout.splitlines() if line.startswith(case + " ")][-1]
            if outcome is None:
                assert line == f"{case} worked", line
            else:
                assert line.startswith(f"{case} failed:") and outcome in line, (case, line)


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

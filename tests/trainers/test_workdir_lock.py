"""One writer per workdir: a second program stops at once naming the holder; stale locks."""

import os
import socket
import subprocess
import sys

import pytest

from tests.tiny_models import write_synthetic_mnist
from trainers import workdir_lock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TINY = ["--experiment=vae_standard_static_mnist", "--latent_dim=4", "--hidden_units=16",
        "--batch_size=50", "--epochs=1", "--eval_num_samples=4", "--verbose=0"]


def _run(module, *args):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def test_a_held_lock_refuses_others_and_a_release_empties_it(tmp_path):
    workdir = str(tmp_path / "run")
    with workdir_lock.workdir_lock(workdir, "trainers.train"):
        holder = open(os.path.join(workdir, ".lock")).read()
        assert holder.startswith(f"trainers.train (pid {os.getpid()} on {socket.gethostname()} "
                                 f"since ")
        with pytest.raises(workdir_lock.WorkdirInUseError,
                           match=f"in use by trainers.train \\(pid {os.getpid()} "):
            with workdir_lock.workdir_lock(workdir, "trainers.evaluate"):
                pass
    assert open(os.path.join(workdir, ".lock")).read() == ""
    with pytest.raises(workdir_lock.NoSuchWorkdirError, match="no such workdir"):
        with workdir_lock.workdir_lock(str(tmp_path / "missing"), "trainers.export",
                                       create=False):
            pass
    assert not (tmp_path / "missing").exists()


def test_a_second_training_on_a_workdir_stops_before_writing(tmp_path):
    data_dir = str(tmp_path)
    write_synthetic_mnist(tmp_path, train=100, valid=50, test=20)
    workdir = str(tmp_path / "run")
    with workdir_lock.workdir_lock(workdir, "trainers.train"):
        second = _run("trainers.train", *TINY, f"--data_dir={data_dir}", f"--workdir={workdir}")
        export = _run("trainers.export", f"--workdir={workdir}",
                      f"--export_base={tmp_path / 'exports'}", "--name=m")
    assert second.returncode == 2
    assert second.stderr.strip().splitlines()[-1] == (
        f"trainers.train: {workdir} is in use by trainers.train (pid {os.getpid()} on "
        f"{socket.gethostname()} since " + second.stderr.split(" since ")[1].split(")")[0]
        + "); wait for it to end or stop it.")
    assert sorted(os.listdir(workdir)) == [".lock"]            # nothing else written
    assert export.returncode == 2 and "is in use by trainers.train" in export.stderr
    assert not (tmp_path / "exports").exists()


def test_a_lock_left_by_a_killed_program_is_taken_over_with_a_warning(tmp_path):
    write_synthetic_mnist(tmp_path, train=100, valid=50, test=20)
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / ".lock").write_text("trainers.train (pid 999999 on elsewhere since 2026-01-01)\n")
    result = _run("trainers.train", *TINY, f"--data_dir={tmp_path}", f"--workdir={workdir}")
    assert result.returncode == 0, result.stderr[-3000:]
    assert (f"Warning: {workdir}: taking over the lock of trainers.train (pid 999999 on "
            f"elsewhere since 2026-01-01), which ended without releasing it.") in result.stderr
    assert (workdir / "evaluation.json").exists() and (workdir / ".lock").read_text() == ""


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

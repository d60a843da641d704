"""The reproduction queue (trainers.reproduce) end to end on tiny experiments and synthetic data:
runs to the end and exports, a SIGKILL mid-run and a resume, frozen code, nothing done twice,
the results page; and its refusals of bad input before anything trains."""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time

import pytest

from trainers import code_snapshot, reproduction
from trainers.workdir_lock import workdir_lock

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TRAIN_ARGS = ("--latent_dim=4 --hidden_units=16 --epochs=6 --batch_size=50 --warmup_epochs=1 "
              "--patience=5 --eval_num_samples=8")
NCP_ARGS = ("--epochs=2 --batch_size=50 --classifier_units=8 --classifier_blocks=1 "
            "--log_normalizer_samples=2000 --log_normalizer_chunk_size=1000 --num_proposals=10 "
            "--sir_samples=4 --eval_num_samples=8")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory):
    from tests.tiny_models import write_synthetic_mnist
    return write_synthetic_mnist(tmp_path_factory.mktemp("data"), train=1000, valid=50, test=30)


def _git(repo, *args):
    subprocess.run(["git", "-C", repo, "-c", "user.name=t", "-c", "user.email=t@t", *args],
                   check=True, capture_output=True)
    return subprocess.run(["git", "-C", repo, "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()


@pytest.fixture()
def source_tree(tmp_path):
    """A git checkout of this project's packages, to edit while the queue runs."""
    repo = str(tmp_path / "source")
    for package in code_snapshot.PACKAGES:
        shutil.copytree(os.path.join(ROOT, package), os.path.join(repo, package),
                        ignore=shutil.ignore_patterns("__pycache__", "pretrained"))
    subprocess.run(["git", "init", "-q", repo], check=True)
    _git(repo, "add", "-A")
    return repo, _git(repo, "commit", "-qm", "source")


def _queue_command(source, runs_dir, export_base, data_dir, experiments, *extra):
    return [sys.executable, "-m", "trainers.reproduce", f"--runs_dir={runs_dir}",
            f"--export_base={export_base}", f"--data_dir={data_dir}",
            f"--experiments={experiments}", f"--train_args={TRAIN_ARGS}",
            f"--ncp_args={NCP_ARGS}", "--poll_seconds=0.2", *extra]


def _env(source):
    return dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=source)


def _run_queue(source, *args, check=True):
    result = subprocess.run(_queue_command(source, *args), cwd=source, env=_env(source),
                            capture_output=True, text=True, timeout=600)
    if check:
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    return result


def _exports(export_base):
    """{name: [versions]} of the visible exports; each must be complete."""
    found = {}
    for name in sorted(os.listdir(export_base)):
        for version in sorted(os.listdir(os.path.join(export_base, name))):
            if version.startswith("."):
                continue   # a staging folder: hidden from TF Serving and the registry
            path = os.path.join(export_base, name, version)
            for part in ("saved_model.pb", "variables", "assets.extra/zoo_export.json",
                         "assets.extra/keras_model.json"):
                assert os.path.exists(os.path.join(path, part)), f"{path} lacks {part}"
            found.setdefault(name, []).append(int(version))
    return found


def _metadata(export_base, name, version=1):
    with open(os.path.join(export_base, name, str(version), "assets.extra",
                           "zoo_export.json")) as f:
        return json.load(f)


def _log_starts(run_dir, stage="train"):
    with open(os.path.join(run_dir, f"{stage}.log")) as f:
        return f.read().count("\n==== ")


def test_queue_runs_resumes_after_sigkill_runs_frozen_code_and_does_nothing_twice(
        source_tree, data_dir, tmp_path):
    source, commit = source_tree
    runs_dir, export_base = str(tmp_path / "runs"), str(tmp_path / "exports")
    first, second = "vae_vamp_static_mnist", "vae_standard_static_mnist+ncp"
    args = (runs_dir, export_base, data_dir, f"{first},{second}")

    # 1. Start the queue; SIGKILL it (and its training child) in the middle of the second run.
    process = subprocess.Popen(_queue_command(source, *args), cwd=source, env=_env(source),
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    state = os.path.join(runs_dir, "vae_standard_static_mnist", "workdir", "checkpoints",
                         "state.json")
    deadline = time.time() + 400
    while not os.path.exists(state) and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    assert process.poll() is None, process.stdout.read().decode()[-4000:]
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    time.sleep(0.5)   # the child dies with its parent (PR_SET_PDEATHSIG)
    assert _exports(export_base) == {first: [1]}   # no partial export of the second
    with open(state) as f:
        killed_at = json.load(f)["epoch"]
    assert 1 <= killed_at < 6

    # 2. Edit and commit the live tree: the resumed run must still run its own frozen copy.
    train_program = os.path.join(source, "trainers", "train.py")
    with open(train_program, "a") as f:
        f.write('\nraise SystemExit("the edited live tree ran")\n')
    new_commit = _git(source, "commit", "-qam", "edit")
    out = _run_queue(source, *args).stdout
    second_dir = os.path.join(runs_dir, "vae_standard_static_mnist")
    assert f"{first}: exported" in out and "skipped" in out
    assert _log_starts(os.path.join(runs_dir, first)) == 1          # the first: not retrained
    assert _log_starts(second_dir) == 2
    with open(os.path.join(second_dir, "train.log")) as f:
        assert f"Resuming from epoch {killed_at}" in f.read()
    assert _exports(export_base) == {first: [1], "vae_standard_static_mnist": [1],
                                     "vae_standard_static_mnist_ncp": [1]}
    metadata = _metadata(export_base, "vae_standard_static_mnist")
    assert metadata["training"]["epochs_trained"] == 6
    run = metadata["reproduction"]
    assert (run["commit"], run["export_commit"]) == (commit, new_commit)
    assert run["uncommitted_changes"] is False and run["at_paper_budget"] is False
    assert run["cpu"] == reproduction.cpu_model() and run["wall_seconds"]["train"] > 0
    ncp = _metadata(export_base, "vae_standard_static_mnist_ncp")
    assert ncp["reproduction"]["run_id"] == run["run_id"]
    assert "log_normalizer" in ncp["noise_contrastive_prior"]
    assert ncp["metrics"]["base_test_log_likelihood"] < 0

    # 3. Again: nothing is trained or exported twice.
    out = _run_queue(source, *args).stdout
    assert out.count("skipped") == 2 and "train (attempt" not in out
    assert _exports(export_base) == {first: [1], "vae_standard_static_mnist": [1],
                                     "vae_standard_static_mnist_ncp": [1]}

    # 4. A lost runs folder (a new machine): the registry's exports are adopted, not retrained.
    shutil.rmtree(runs_dir)
    out = _run_queue(source, *args).stdout
    assert out.count("adopted") == 2 and out.count("skipped") == 2 and "attempt" not in out
    adopted = json.load(open(os.path.join(second_dir, "run.json")))
    assert adopted["run_id"] == run["run_id"] and adopted["code"] is None
    assert adopted["exports"] == {n: os.path.join(export_base, n, "1") for n in (
        "vae_standard_static_mnist", "vae_standard_static_mnist_ncp")}

    # 5. --status reads the runs; the results page is generated from the exports.
    status = subprocess.run(_queue_command(source, *args, "--status"), cwd=source,
                            env=_env(source), capture_output=True, text=True).stdout
    assert status.count("exported") == 2 and "vae_standard_static_mnist+ncp" in status
    from savedmodels import results
    rows = {(r["name"], r["version"]): r for r in results.export_rows(export_base)}
    assert set(rows) == {(first, 1), ("vae_standard_static_mnist", 1),
                         ("vae_standard_static_mnist_ncp", 1)}
    row = rows[("vae_standard_static_mnist", 1)]
    assert (row["paper"], row["table"], row["paper_ll"]) == ("Tomczak & Welling 2018",
                                                             "Table 1", -88.56)
    assert row["difference"] == pytest.approx(row["ll"] + 88.56)
    assert row["commit"] == commit and row["at_paper_budget"] is False
    page = results.render_results(export_base)
    assert f"| `{first}/1` |" in page and commit[:12] in page and "| short |" in page

    # 6. A version replaced by a newer one of the same run (savedmodels.reexport) is followed.
    model_dir = os.path.join(export_base, "vae_standard_static_mnist")
    shutil.move(os.path.join(model_dir, "1"), os.path.join(model_dir, "2"))
    out = _run_queue(source, *args).stdout
    assert out.count("skipped") == 2 and "attempt" not in out
    assert json.load(open(os.path.join(second_dir, "run.json")))["exports"][
        "vae_standard_static_mnist"] == os.path.join(model_dir, "2")


def test_status_estimates_time_left_from_epoch_times(tmp_path):
    run_dir = tmp_path / "vae_standard_static_mnist"
    (run_dir / "workdir" / "checkpoints").mkdir(parents=True)
    (run_dir / "run.json").write_text(json.dumps({
        "experiment": "vae_standard_static_mnist", "ncp": False, "exports": {},
        "stages": {"train": {"done": False, "wall_seconds": 7200.0, "attempts": 2}},
        "epoch_seconds": [4.0, 5.0, 100.0], "train_args": []}))
    (run_dir / "workdir" / "checkpoints" / "state.json").write_text(json.dumps({
        "epoch": 150, "best": 90.5, "best_epoch": 140, "stopped_early": False, "wait": 10,
        "checkpoint": "ckpt-150.weights.h5"}))
    (run_dir / "workdir" / "config.json").write_text(json.dumps({"experiment": {"train": {
        "epochs": 2000, "warmup_epochs": 100, "patience": 50}}}))
    [row] = reproduction.run_status(str(tmp_path))
    assert row["state"] == "training" and row["seconds_per_epoch"] == 5.0   # the median
    assert row["seconds_left_min"] == (140 + 51 - 150) * 5.0
    assert row["seconds_left_max"] == (2000 - 150) * 5.0
    text = reproduction.format_status([row])
    assert "150/2000" in text and "90.50 (140)" in text and "2.0 h" in text
    assert "3 min (no new best) to 2.6 h (max epochs)" in text


def test_entries_and_snapshots(tmp_path):
    entries = reproduction.parse_entries(["a", "b+ncp"])
    assert [(e.experiment, e.ncp) for e in entries] == [("a", False), ("b", True)]
    assert entries[1].export_names == ("b", "b_ncp")
    with pytest.raises(reproduction.ReproductionError, match="a is queued twice"):
        reproduction.parse_entries(["a", "a+ncp"])
    with pytest.raises(reproduction.ReproductionError, match="sets --workdir itself"):
        reproduction.ReproductionQueue(str(tmp_path), str(tmp_path), train_args=["--workdir=x"])

    # The same code maps to the same snapshot; changed code to another one.
    source = tmp_path / "src"
    for package in code_snapshot.PACKAGES:
        (source / package).mkdir(parents=True)
        (source / package / "__init__.py").write_text(f"NAME = {package!r}\n")
    first = code_snapshot.take_snapshot(str(source), str(tmp_path / "code"))
    assert first.commit is None and first.id.startswith("nogit-")
    assert code_snapshot.take_snapshot(str(source), str(tmp_path / "code")) == first
    (source / "zoo" / "__init__.py").write_text("NAME = 'edited'\n")
    second = code_snapshot.take_snapshot(str(source), str(tmp_path / "code"))
    assert second.id != first.id
    assert (tmp_path / "code" / first.id / "zoo" / "__init__.py").read_text() == "NAME = 'zoo'\n"
    assert sorted(os.listdir(tmp_path / "code")) == sorted([first.id, second.id])


def test_a_second_queue_on_the_same_runs_folder_is_refused_with_the_holder(
        source_tree, data_dir, tmp_path):
    source, _ = source_tree
    runs_dir = tmp_path / "runs"
    with workdir_lock(str(runs_dir), "trainers.reproduce"):
        result = _run_queue(source, str(runs_dir), str(tmp_path / "exports"), data_dir,
                            "vae_standard_static_mnist", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert re.search(rf"{runs_dir} is in use by trainers.reproduce \(pid {os.getpid()} on ",
                     result.stderr), result.stderr
    assert not (runs_dir / "vae_standard_static_mnist").exists()


def _fake_queue_export(export_base, name, version, run_id, train_args=()):
    folder = export_base / name / str(version) / "assets.extra"
    folder.mkdir(parents=True)
    (folder / "zoo_export.json").write_text(json.dumps({"reproduction": {
        "run_id": run_id, "started_at": "2026-12-01T00:00:00+00:00", "commit": "c" * 40,
        "uncommitted_changes": False, "train_args": list(train_args), "ncp_args": [],
        "wall_seconds": {"train": 5.0, "ncp": 2.0}, "cpu_seconds": {"cpu": 7.0}}}))
    return str(export_base / name / str(version))


def test_a_lost_runs_folder_adopts_only_complete_registry_runs_with_the_same_arguments(tmp_path):
    plain, ncp = reproduction.QueueEntry("vae_x"), reproduction.QueueEntry("vae_x", ncp=True)
    adopt = lambda entry, args=(): reproduction._adoptable_run(str(tmp_path), entry, list(args), [])
    assert adopt(plain) is None                            # nothing in the registry
    _fake_queue_export(tmp_path, "vae_x", 1, "run1")
    _fake_queue_export(tmp_path, "vae_x", 2, "run2", ["--epochs=2"])
    (tmp_path / "vae_x" / "3").mkdir()                     # not made by the queue: no metadata
    assert adopt(plain)["exports"] == {"vae_x": str(tmp_path / "vae_x" / "1")}
    assert adopt(plain, ["--epochs=2"])["run_id"] == "run2"
    assert adopt(plain, ["--epochs=3"]) is None
    assert adopt(ncp) is None                              # its stage 2 export is missing
    _fake_queue_export(tmp_path, "vae_x_ncp", 1, "run2")   # another run's: no match
    assert adopt(ncp) is None
    ncp_path = _fake_queue_export(tmp_path, "vae_x_ncp", 2, "run1")
    state = adopt(ncp)
    assert state["exports"] == {"vae_x": str(tmp_path / "vae_x" / "1"), "vae_x_ncp": ncp_path}
    assert state["stages"]["ncp"] == {"done": True, "wall_seconds": 2.0, "attempts": 0}
    assert (state["code"], state["experiment"], state["ncp"]) == (None, "vae_x", True)
    newer = _fake_queue_export(tmp_path, "vae_x_ncp", 3, "run1")   # a re-export of run1's
    assert reproduction._find_export(str(tmp_path), "vae_x_ncp", "run1") == ncp_path
    assert reproduction._find_export(str(tmp_path), "vae_x_ncp", "run1", newest=True) == newer
    assert reproduction._find_export(str(tmp_path), "vae_x_ncp", "run3", newest=True) is None


@pytest.mark.parametrize("problem", ["unknown experiment", "runs_dir is a file",
                                     "export_base not writable"])
def test_bad_input_is_refused_before_any_training(problem, data_dir, tmp_path):
    runs_dir, export_base = tmp_path / "runs", tmp_path / "exports"
    experiments = "vae_standard_static_mnist"
    if problem == "unknown experiment":
        experiments += ",vae_nonesuch_static_mnist"
        expected = "trainers.reproduce: Unknown experiment vae_nonesuch_static_mnist; known: "
    elif problem == "runs_dir is a file":
        runs_dir.write_text("")
        expected = f"trainers.reproduce: --runs_dir={runs_dir} is a file, not a folder."
    else:
        if os.geteuid() == 0:
            export_base.write_text("")   # root may write anywhere: a file is unwritable
            expected = f"trainers.reproduce: --export_base={export_base} is a file, not a folder."
        else:
            export_base.mkdir(mode=0o500)
            expected = f"trainers.reproduce: --export_base={export_base} is not writable"
    result = subprocess.run(
        _queue_command(ROOT, runs_dir, export_base, data_dir, experiments), cwd=ROOT,
        env=_env(ROOT), capture_output=True, text=True, timeout=300)
    assert result.returncode == 2
    assert result.stderr.strip().startswith(expected), result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    if runs_dir.is_dir():   # nothing was started
        assert not (runs_dir / "vae_standard_static_mnist").exists()


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

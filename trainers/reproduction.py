"""The reproduction queue: named experiments trained at their papers' budgets, evaluated
with their papers' protocol and exported to the registry, one after another, resumably.

Runs folder layout (`--runs_dir`):
    .lock                      held by the running queue (`trainers.workdir_lock`)
    code/<snapshot id>/        frozen copies of the code (`trainers.code_snapshot`)
    <experiment>/run.json      the run: its code snapshot, arguments, stages done,
                               wall time per stage and per CPU model, measured epoch times
    <experiment>/workdir/      `trainers.train`'s workdir (checkpoints, evaluation.json)
    <experiment>/ncp/          `trainers.train_ncp`'s output (NCP rows only)
    <experiment>/*.log         each program's output, appended across restarts

Every program runs as a child process from a frozen copy of the code: training,
evaluation and stage 2 from the snapshot the run started with (a resumed run
keeps it), the export from the snapshot of the queue's own start (the current
export format). A SIGKILL at any moment loses at most the epoch in progress
(`trainers.train` resumes from its last checkpoint; a stage 2 that did not
finish starts again), and never leaves a partial export: an export is staged in
a hidden folder and renamed into place, and a finished one is found again by
its run id in the registry, so it is never made twice. A runs folder that was
lost (a new machine) does not retrain what the registry already holds: a row
whose every export is there from a queue run with the same arguments is
adopted (its run.json rebuilt from the exports' metadata) and skipped. An export
whose version was replaced by a newer one of the same run (`savedmodels.reexport`)
is followed to it; one removed with no successor is made again.
"""

import ctypes
import dataclasses
import datetime
import json
import os
import platform
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import time
import uuid

from trainers import checkpoint_state, code_snapshot
from trainers.workdir_lock import workdir_lock
from zoo import files
from zoo.errors import UserError

__all__ = ["QueueEntry", "ReproductionError", "ReproductionQueue", "cpu_model",
           "format_status", "parse_entries", "run_status"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RUN_STATE = "run.json"
CODE = "code"
NCP_SUFFIX = "+ncp"
NCP_EXPORT_SUFFIX = "_ncp"
# Epoch times kept for the time-left estimate (the most recent ones).
_EPOCH_TIMES_KEPT = 50
# Flags of trainers.train that the queue sets itself.
_QUEUE_FLAGS = ("--experiment", "--workdir", "--data_dir", "--base_workdir")


class ReproductionError(UserError):
    """A user error or a failed stage, said in one line (the programs print it, no traceback)."""


@dataclasses.dataclass(frozen=True)
class QueueEntry:
    """One queued row: an experiment, and for an NCP row its stage 2 too."""

    experiment: str
    ncp: bool = False

    @property
    def export_names(self):
        """Registry names it exports: the experiment, then (NCP rows) `<experiment>_ncp`."""
        return (self.experiment,) + ((self.experiment + NCP_EXPORT_SUFFIX,) if self.ncp else ())


def parse_entries(specs):
    """`QueueEntry`s of "NAME" or "NAME+ncp" strings (duplicates refused)."""
    entries = []
    for spec in specs:
        spec = spec.strip()
        ncp = spec.endswith(NCP_SUFFIX)
        name = spec[:-len(NCP_SUFFIX)] if ncp else spec
        if not name:
            raise ReproductionError(f"Empty experiment name in {specs!r}.")
        if name in [e.experiment for e in entries]:
            raise ReproductionError(f"{name} is queued twice.")
        entries.append(QueueEntry(name, ncp))
    if not entries:
        raise ReproductionError("No experiments to queue (--experiments=A,B,...).")
    return entries


def cpu_model():
    """This machine's CPU model name (`/proc/cpuinfo`), e.g. "Intel(R) Xeon(R) Processor"."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine() or "unknown"


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")


def _read_json(path):
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return json.load(f)


def _checkpoint_state(workdir):
    """The training's `checkpoints/state.json`, or None if there is none or it is unreadable
    (the training program rebuilds it when it resumes)."""
    try:
        return checkpoint_state.read_state(os.path.join(workdir, "checkpoints", "state.json"))
    except (OSError, ValueError):
        return None


def _kill_with_parent():
    """In the child: SIGKILL me when the queue dies, however it dies (Linux prctl)."""
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


class _Run:
    """One experiment's folder and its `run.json`."""

    def __init__(self, runs_dir, entry):
        self.entry = entry
        self.dir = os.path.join(runs_dir, entry.experiment)
        self.workdir = os.path.join(self.dir, "workdir")
        self.ncp_dir = os.path.join(self.dir, "ncp")
        self.state_path = os.path.join(self.dir, RUN_STATE)
        self.state = _read_json(self.state_path)

    def save(self):
        files.write_json_atomically(self.state_path, self.state)

    def stage(self, name):
        return self.state["stages"].setdefault(
            name, {"done": False, "wall_seconds": 0.0, "attempts": 0})

    # What the workdirs say (the truth after a kill; run.json may lag behind).
    def training_finished(self):
        """Whether trainers.train has stopped (early or at its last epoch) and evaluated."""
        checkpoint = _checkpoint_state(self.workdir)
        evaluation = _read_json(os.path.join(self.workdir, "evaluation.json"))
        config = _read_json(os.path.join(self.workdir, "config.json"))
        if not (checkpoint and evaluation and config):
            return False
        max_epochs = config["experiment"]["train"]["epochs"]
        stopped = checkpoint["stopped_early"] or checkpoint["epoch"] >= max_epochs
        return stopped and evaluation.get("epochs_trained") == checkpoint["epoch"]

    def ncp_finished(self):
        """Whether trainers.train_ncp has written its model and, last, its evaluation."""
        return all(os.path.exists(os.path.join(self.ncp_dir, name))
                   for name in ("model.keras", "evaluation.json"))


def _queue_exports(export_base, name):
    """`(version folder, reproduction metadata)` of each queue export of `name`, oldest first."""
    model_dir = os.path.join(export_base, name)
    if not os.path.isdir(model_dir):
        return []
    found = []
    for version in sorted((v for v in os.listdir(model_dir) if v.isdigit()), key=int):
        metadata = _read_json(os.path.join(model_dir, version, "assets.extra", "zoo_export.json"))
        if metadata and metadata.get("reproduction"):
            found.append((os.path.join(model_dir, version), metadata["reproduction"]))
    return found


def _find_export(export_base, name, run_id, newest=False):
    """The (`newest`: last) version folder of `name` exported by run `run_id`, or None."""
    exports = _queue_exports(export_base, name)
    return next((path for path, reproduction in (reversed(exports) if newest else exports)
                 if reproduction["run_id"] == run_id), None)


def _adoptable_run(export_base, entry, train_args, ncp_args):
    """run.json contents for `entry` rebuilt from the newest queue run that exported all its
    names with these arguments, or None if the registry holds no such run."""
    first, *others = entry.export_names
    for path, reproduction in reversed(_queue_exports(export_base, first)):
        if (reproduction["train_args"], reproduction.get("ncp_args", [])) != (
                train_args, ncp_args):
            continue
        exports = {first: path}
        exports.update({n: _find_export(export_base, n, reproduction["run_id"], newest=True)
                        for n in others})
        if all(exports.values()):
            return {
                "experiment": entry.experiment, "ncp": entry.ncp,
                "run_id": reproduction["run_id"], "created_at": reproduction["started_at"],
                "code": None, "commit": reproduction["commit"],
                "dirty": reproduction["uncommitted_changes"],
                "train_args": train_args, "ncp_args": ncp_args,
                "stages": {stage: {"done": True, "wall_seconds": seconds, "attempts": 0}
                           for stage, seconds in reproduction["wall_seconds"].items()},
                "cpu_seconds": reproduction["cpu_seconds"], "epoch_seconds": [],
                "exports": exports, "adopted_at": _now()}
    return None


class ReproductionQueue:
    """Trains, evaluates and exports queued experiments in order; see the module docstring.

    Args:
        runs_dir: the runs folder (created if missing).
        export_base: the registry folder exports go to (`savedmodels/pretrained`).
        data_dir: the datasets folder passed to the programs.
        train_args: extra `trainers.train` flags for every new run (tests and
            short trials; a paper-budget run passes none). Recorded in the run.
        ncp_args: extra `trainers.train_ncp` flags, likewise.
        source_root: the tree whose code is frozen (default: this checkout).
        poll_seconds: how often run.json is updated while a program runs.
        log: a function printing one line.
    """

    def __init__(self, runs_dir, export_base, data_dir=None, train_args=(), ncp_args=(),
                 source_root=ROOT, poll_seconds=10.0, log=print):
        self.runs_dir = os.path.abspath(runs_dir)
        self.export_base = os.path.abspath(export_base)
        self.data_dir = os.path.abspath(data_dir) if data_dir else None
        self.train_args = list(train_args)
        self.ncp_args = list(ncp_args)
        self.source_root = source_root
        self.poll_seconds = poll_seconds
        self.log = log
        self.cpu = cpu_model()
        self.snapshot = None
        for arg in self.train_args + self.ncp_args:
            if arg.split("=", 1)[0] in _QUEUE_FLAGS:
                raise ReproductionError(f"{arg}: the queue sets {arg.split('=', 1)[0]} itself.")

    # ---------------------------------------------------------------- checks
    def check(self, entries):
        """Refuses bad input before anything trains; takes the queue's code snapshot."""
        if os.path.exists(self.runs_dir) and not os.path.isdir(self.runs_dir):
            raise ReproductionError(f"--runs_dir={self.runs_dir} is a file, not a folder.")
        os.makedirs(self.runs_dir, exist_ok=True)
        self._check_writable(self.export_base, "--export_base")
        self.snapshot = code_snapshot.take_snapshot(self.source_root,
                                                    os.path.join(self.runs_dir, CODE))
        unknown = self._unknown_experiments([e.experiment for e in entries])
        if unknown:
            raise ReproductionError(unknown)
        for entry in entries:
            run = _Run(self.runs_dir, entry)
            if run.state and (run.state["train_args"], run.state.get("ncp_args", [])) != (
                    self.train_args, self.ncp_args):
                started = (shlex.join(run.state["train_args"]),
                           shlex.join(run.state.get("ncp_args", [])))
                raise ReproductionError(
                    f"{run.dir} was started with --train_args={started[0]!r} "
                    f"--ncp_args={started[1]!r}; pass the same or use another --runs_dir.")

    @staticmethod
    def _check_writable(folder, flag):
        if os.path.exists(folder) and not os.path.isdir(folder):
            raise ReproductionError(f"{flag}={folder} is a file, not a folder.")
        try:
            os.makedirs(folder, exist_ok=True)
            probe = os.path.join(folder, f".write-check-{os.getpid()}")
            with open(probe, "w"):
                pass
            os.remove(probe)
        except OSError as e:
            raise ReproductionError(f"{flag}={folder} is not writable: {e.strerror}.") from None

    def _unknown_experiments(self, names):
        """An error message for the names no experiment is registered under (None if all are)."""
        code = ("import json, sys\nfrom trainers import experiments\n"
                "print(json.dumps(experiments.EXPERIMENTS.names()))")
        result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                **self.snapshot.process_kwargs())
        if result.returncode != 0:
            raise ReproductionError("Could not list the experiments: "
                                    + result.stderr.strip().splitlines()[-1])
        known = json.loads(result.stdout.strip().splitlines()[-1])
        unknown = [n for n in names if n not in known]
        if not unknown:
            return None
        return (f"Unknown experiment{'s' if len(unknown) > 1 else ''} {', '.join(unknown)}; "
                f"known: {', '.join(known)}.")

    # ----------------------------------------------------------------- queue
    def run(self, entries):
        """Runs every entry to its exports, in order; returns {name: export path}."""
        self.check(entries)
        with workdir_lock(self.runs_dir, "trainers.reproduce"):
            self.log(f"Queue of {len(entries)} in {self.runs_dir}, code "
                     f"{self.snapshot.describe()}, CPU {self.cpu}.")
            exported = {}
            for entry in entries:
                exported.update(self._run_entry(entry))
            self.log("Queue done.")
            return exported

    def _run_entry(self, entry):
        run = _Run(self.runs_dir, entry)
        if run.state is None:
            run.state = _adoptable_run(self.export_base, entry, self.train_args, self.ncp_args)
            if run.state:
                self.log(f"{entry.experiment}: no run here, but the registry holds its exports "
                         f"from run {run.state['run_id']} with the same arguments; adopted.")
        if run.state:
            # A version removed by hand is made again, unless the registry holds a newer
            # version from the same run (savedmodels.reexport).
            exports = {n: p if os.path.isdir(p) else
                       _find_export(self.export_base, n, run.state["run_id"], newest=True)
                       for n, p in run.state["exports"].items()}
            run.state["exports"] = {n: p for n, p in exports.items() if p}
            if all(name in run.state["exports"] for name in entry.export_names):
                os.makedirs(run.dir, exist_ok=True)
                run.save()
                self.log(f"{entry.experiment}: exported "
                         f"({', '.join(run.state['exports'].values())}); skipped.")
                return dict(run.state["exports"])
        if run.state is None or run.state["code"] is None:   # new, or adopted and then removed
            os.makedirs(run.dir, exist_ok=True)
            run.state = self._new_run_state(entry)
            run.save()
        snapshot = code_snapshot.load_snapshot(os.path.join(self.runs_dir, run.state["code"]))
        data = [f"--data_dir={self.data_dir}"] if self.data_dir else []
        if not run.training_finished():
            self._stage(run, "train", snapshot, [
                "trainers.train", f"--experiment={entry.experiment}", f"--workdir={run.workdir}",
                *data, "--verbose=2", *run.state["train_args"]], run.training_finished)
        if entry.ncp and not run.ncp_finished():
            shutil.rmtree(run.ncp_dir, ignore_errors=True)   # stage 2 does not resume
            self._stage(run, "ncp", snapshot, [
                "trainers.train_ncp", f"--base_workdir={run.workdir}", f"--workdir={run.ncp_dir}",
                *data, "--verbose=2", *run.state.get("ncp_args", [])], run.ncp_finished)
        sources = {entry.experiment: run.workdir}
        if entry.ncp:
            sources[entry.experiment + NCP_EXPORT_SUFFIX] = run.ncp_dir
        for name, source in sources.items():
            if name not in run.state["exports"]:
                run.state["exports"][name] = self._export(run, name, source)
                run.save()
        run.state["finished_at"] = _now()
        run.save()
        return dict(run.state["exports"])

    def _new_run_state(self, entry):
        return {
            "experiment": entry.experiment, "ncp": entry.ncp,
            "run_id": uuid.uuid4().hex, "created_at": _now(),
            "code": os.path.relpath(self.snapshot.path, self.runs_dir),
            "commit": self.snapshot.commit, "dirty": self.snapshot.dirty,
            "train_args": self.train_args, "ncp_args": self.ncp_args,
            "stages": {}, "cpu_seconds": {}, "epoch_seconds": [], "exports": {}}

    def _stage(self, run, name, snapshot, module_args, finished):
        """Runs one program of `run` to its end from `snapshot`, accounting its wall time."""
        stage = run.stage(name)
        stage["attempts"] += 1
        stage["commit"] = snapshot.commit
        stage.pop("exit_code", None)   # a retry is running, not failed
        run.save()
        command = [sys.executable, "-m", *module_args]
        self.log(f"{run.entry.experiment}: {name} (attempt {stage['attempts']}, code "
                 f"{snapshot.describe()}): {shlex.join(['python', '-m', *module_args])}")
        log_path = os.path.join(run.dir, f"{name}.log")
        with open(log_path, "ab") as log:
            log.write(f"\n==== {_now()} {shlex.join(command)}\n".encode())
            log.flush()
            code = self._supervise(run, stage, command, snapshot, log)
        if code != 0 or not finished():
            stage["exit_code"] = code
            run.save()
            raise ReproductionError(
                f"{run.entry.experiment}: {name} failed (exit code {code}); see {log_path}.")
        stage["done"] = True
        stage["finished_at"] = _now()
        run.save()

    def _supervise(self, run, stage, command, snapshot, log):
        """Runs `command`, updating run.json every `poll_seconds`; returns its exit code."""
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                   preexec_fn=_kill_with_parent, **snapshot.process_kwargs())
        previous_sigterm = signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        last = time.monotonic()
        # Epoch times come from the checkpoint state's modification times (it is
        # rewritten at every epoch end), between two epoch ends of this process:
        # the first end after a start also holds the start-up and tracing.
        seen = _checkpoint_epoch(run.workdir)
        timed_from = None
        try:
            while True:
                try:
                    code = process.wait(timeout=self.poll_seconds)
                except subprocess.TimeoutExpired:
                    code = None
                now = time.monotonic()
                stage["wall_seconds"] += now - last
                run.state["cpu_seconds"][self.cpu] = (
                    run.state["cpu_seconds"].get(self.cpu, 0.0) + now - last)
                last = now
                epoch, ended_at = _checkpoint_epoch(run.workdir)
                if stage is run.state["stages"].get("train") and epoch > seen[0]:
                    if timed_from is not None:
                        per_epoch = (ended_at - timed_from[1]) / (epoch - timed_from[0])
                        times = run.state["epoch_seconds"] + [round(per_epoch, 3)]
                        run.state["epoch_seconds"] = times[-_EPOCH_TIMES_KEPT:]
                    seen = timed_from = (epoch, ended_at)
                run.save()
                if code is not None:
                    return code
        finally:
            signal.signal(signal.SIGTERM, previous_sigterm)
            if process.poll() is None:
                process.kill()
                process.wait()

    def _export(self, run, name, source):
        """Exports `source` as `name` (once: a finished export is found by its run id)."""
        found = _find_export(self.export_base, name, run.state["run_id"])
        if found:
            self.log(f"{name}: already exported to {found}.")
            return found
        metadata = {"reproduction": {
            "run_id": run.state["run_id"], "queue_row": name,
            "commit": run.state["commit"], "uncommitted_changes": run.state["dirty"],
            "export_commit": self.snapshot.commit,
            "cpu_seconds": run.state["cpu_seconds"],
            "cpu": max(run.state["cpu_seconds"], key=run.state["cpu_seconds"].get,
                       default=self.cpu),
            "wall_seconds": {k: round(v["wall_seconds"], 1)
                             for k, v in run.state["stages"].items()},
            "started_at": run.state["created_at"], "exported_at": _now(),
            "train_args": run.state["train_args"], "ncp_args": run.state.get("ncp_args", []),
            "at_paper_budget": not run.state["train_args"],
        }}
        metadata_path = os.path.join(run.dir, f".export-metadata-{name}.json")
        files.write_json_atomically(metadata_path, metadata)
        self._stage(run, f"export_{name}", self.snapshot, [
            "trainers.export", f"--workdir={source}", f"--export_base={self.export_base}",
            f"--name={name}", f"--metadata_json={metadata_path}"],
            lambda: _find_export(self.export_base, name, run.state["run_id"]) is not None)
        path = _find_export(self.export_base, name, run.state["run_id"])
        self.log(f"{name}: exported to {path}.")
        return path


def _checkpoint_epoch(workdir):
    """`(last finished epoch, when its checkpoint state was written)`; `(0, None)` if none."""
    path = os.path.join(workdir, "checkpoints", "state.json")
    try:
        state, written = _read_json(path), os.path.getmtime(path)
    except (OSError, ValueError):   # not there yet, or replaced between the two reads
        return 0, None
    return (state["epoch"], written) if state else (0, None)


# ---------------------------------------------------------------- status
def _hours(seconds):
    if seconds is None:
        return "?"
    return f"{seconds / 3600:.1f} h" if seconds >= 360 else f"{seconds / 60:.0f} min"


def run_status(runs_dir, entries=None):
    """One dict per run (the queued entries, or every run in `runs_dir`): its state and estimates.

    Keys: experiment, state (not started, training, stage 2, exporting,
    exported, failed), epoch, max_epochs, best_val_loss, best_epoch,
    elapsed_seconds, seconds_per_epoch (median of the recent epochs),
    seconds_left_min (if early stopping comes at the first chance: no better
    validation loss than the best so far) and seconds_left_max (at the
    maximum epochs); evaluation and export time not included.
    """
    runs_dir = os.path.abspath(runs_dir)
    if entries is None:
        names = sorted(n for n in (os.listdir(runs_dir) if os.path.isdir(runs_dir) else [])
                       if os.path.exists(os.path.join(runs_dir, n, RUN_STATE)))
        entries = [QueueEntry(n, bool(_read_json(os.path.join(runs_dir, n, RUN_STATE))["ncp"]))
                   for n in names]
    rows = []
    for entry in entries:
        run = _Run(runs_dir, entry)
        row = {"experiment": entry.experiment + (NCP_SUFFIX if entry.ncp else ""),
               "state": "not started", "epoch": 0, "max_epochs": None, "best_val_loss": None,
               "best_epoch": None, "elapsed_seconds": 0.0, "seconds_per_epoch": None,
               "seconds_left_min": None, "seconds_left_max": None, "exports": {}}
        rows.append(row)
        if run.state is None:
            continue
        stages = run.state["stages"]
        row["elapsed_seconds"] = sum(s["wall_seconds"] for s in stages.values())
        row["exports"] = run.state["exports"]
        checkpoint = _checkpoint_state(run.workdir) or {}
        config = _read_json(os.path.join(run.workdir, "config.json"))
        row.update(epoch=checkpoint.get("epoch", 0), best_val_loss=checkpoint.get("best"),
                   best_epoch=checkpoint.get("best_epoch"))
        if run.state["epoch_seconds"]:
            row["seconds_per_epoch"] = statistics.median(run.state["epoch_seconds"])
        if all(n in run.state["exports"] for n in entry.export_names):
            row["state"] = "exported"
        elif any("exit_code" in s and not s["done"] for s in stages.values()):
            row["state"] = "failed"
        elif run.training_finished():
            row["state"] = "stage 2" if entry.ncp and not run.ncp_finished() else "exporting"
        else:
            row["state"] = "training"
        if config and row["state"] == "training":
            train = config["experiment"]["train"]
            row["max_epochs"] = train["epochs"]
            if row["seconds_per_epoch"] is not None:
                first_stop = min(train["epochs"], max(row["best_epoch"] or 0,
                                                      train["warmup_epochs"])
                                 + train["patience"] + 1)
                row["seconds_left_min"] = max(0, first_stop - row["epoch"]) * row[
                    "seconds_per_epoch"]
                row["seconds_left_max"] = (train["epochs"] - row["epoch"]) * row[
                    "seconds_per_epoch"]
    return rows


def format_status(rows):
    """The status rows as a text table."""
    header = ("experiment", "state", "epoch", "best val loss (epoch)", "elapsed", "s/epoch",
              "time left")
    lines = []
    for row in rows:
        epoch = (f"{row['epoch']}/{row['max_epochs']}" if row["max_epochs"] else
                 str(row["epoch"] or "-"))
        best = (f"{row['best_val_loss']:.2f} ({row['best_epoch']})"
                if row["best_val_loss"] is not None else "-")
        per_epoch = f"{row['seconds_per_epoch']:.1f}" if row["seconds_per_epoch"] else "-"
        left = "-"
        if row["seconds_left_min"] is not None:
            left = (f"{_hours(row['seconds_left_min'])} (no new best) to "
                    f"{_hours(row['seconds_left_max'])} (max epochs)")
        elif row["state"] == "training":
            left = "? (no epoch timed yet)"
        lines.append((row["experiment"], row["state"], epoch, best,
                      _hours(row["elapsed_seconds"]), per_epoch, left))
    widths = [max(len(str(r[i])) for r in [header] + lines) for i in range(len(header))]
    fmt = lambda r: "  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip()
    return "\n".join([fmt(header), fmt(["-" * w for w in widths])] + [fmt(r) for r in lines])


"""Frozen copies of the project's code, so a long run never executes the live working tree.

Autograph re-reads a function's source file when it traces, so editing `zoo/`
under a running training can crash it or, worse, change what it computes. A
snapshot copies the Python packages (`zoo`, `trainers`, `savedmodels`) of a
source tree into `<snapshots_dir>/<id>/`, once, and programs run from there:

    snapshot = take_snapshot(source_root, snapshots_dir)
    subprocess.run([sys.executable, "-m", "trainers.train", ...], **snapshot.process_kwargs())

The id is the git commit (12 hex digits) when the tree's packages are exactly
that commit's, else the commit and a digest of the files that differ
(`<commit>-dirty-<digest>`), or `nogit-<digest>` outside git; the same code
always maps to the same folder. `SNAPSHOT.json` in it records the commit,
whether the tree was dirty, and the source path.
"""

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from typing import Optional

from zoo import files

__all__ = ["PACKAGES", "Snapshot", "load_snapshot", "take_snapshot"]

PACKAGES = ("zoo", "trainers", "savedmodels")
MANIFEST = "SNAPSHOT.json"
# Under savedmodels/: data, not code (the registry's exports grow as runs finish).
_SKIPPED_DIRS = {"__pycache__", "pretrained"}


@dataclasses.dataclass(frozen=True)
class Snapshot:
    """A frozen copy of the packages.

    Attributes:
        path: the folder holding `zoo/`, `trainers/`, `savedmodels/`.
        id: its folder name.
        commit: the full git commit hash of the source tree (None outside git).
        dirty: whether the packages differed from that commit when copied.
    """

    path: str
    id: str
    commit: Optional[str]
    dirty: bool

    def process_kwargs(self, env=None):
        """`subprocess` keyword arguments that run Python from this copy only."""
        env = dict(os.environ if env is None else env)
        env["PYTHONPATH"] = self.path   # The live tree must not come first on sys.path.
        env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        return {"cwd": self.path, "env": env}

    def describe(self):
        return self.commit[:12] + (" (uncommitted changes)" if self.dirty else "") if (
            self.commit) else f"{self.id} (not a git checkout)"


def _package_files(root):
    """Relative paths of the `.py` files of the packages under `root`, sorted."""
    found = []
    for package in PACKAGES:
        for folder, dirs, names in os.walk(os.path.join(root, package)):
            dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
            found.extend(os.path.relpath(os.path.join(folder, n), root)
                         for n in names if n.endswith(".py"))
    if not found:
        raise FileNotFoundError(f"{root} holds none of the packages {', '.join(PACKAGES)}.")
    return sorted(found)


def _digest(root, paths):
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.encode() + b"\0")
        with open(os.path.join(root, path), "rb") as f:
            digest.update(f.read() + b"\0")
    return digest.hexdigest()[:10]


def _git(root, *args):
    result = subprocess.run(["git", "-C", root, *args], capture_output=True, text=True)
    return result.stdout.strip() if result.returncode == 0 else None


def _git_state(root):
    """`(commit, dirty)` of the packages in `root` (`(None, True)` outside git)."""
    try:
        commit = _git(root, "rev-parse", "--verify", "HEAD")
    except FileNotFoundError:   # no git installed
        return None, True
    if not commit:
        return None, True
    status = _git(root, "status", "--porcelain", "--untracked-files=all", "--", *PACKAGES)
    changed = [line for line in (status or "").splitlines()
               if line.endswith(".py") and "/pretrained/" not in line]
    return commit, status is None or bool(changed)


def take_snapshot(source_root, snapshots_dir):
    """Copies the packages of `source_root` into `snapshots_dir` (once per distinct code).

    The copy is written to a hidden temporary folder and renamed into place, so a
    killed copy never looks complete.

    Returns:
        The `Snapshot`.
    """
    source_root = os.path.abspath(source_root)
    paths = _package_files(source_root)
    commit, dirty = _git_state(source_root)
    digest = _digest(source_root, paths)
    if commit is None:
        snapshot_id = f"nogit-{digest}"
    else:
        snapshot_id = commit[:12] + (f"-dirty-{digest}" if dirty else "")
    final = os.path.join(snapshots_dir, snapshot_id)
    if os.path.isdir(final):
        return load_snapshot(final)
    os.makedirs(snapshots_dir, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{snapshot_id}.partial-", dir=snapshots_dir)
    try:
        for path in paths:
            os.makedirs(os.path.join(staging, os.path.dirname(path)), exist_ok=True)
            shutil.copy2(os.path.join(source_root, path), os.path.join(staging, path))
        files.write_json_atomically(os.path.join(staging, MANIFEST), {
            "id": snapshot_id, "commit": commit, "dirty": dirty, "source": source_root,
            "files_sha256_prefix": digest})
        os.chmod(staging, 0o755)
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if os.path.isdir(final):   # Another process made the same snapshot first.
            return load_snapshot(final)
        raise
    return load_snapshot(final)


def load_snapshot(path):
    """The `Snapshot` in `path` (a folder written by `take_snapshot`)."""
    manifest = os.path.join(path, MANIFEST)
    if not os.path.exists(manifest):
        raise FileNotFoundError(f"{manifest} not found: {path} is not a code snapshot.")
    with open(manifest) as f:
        saved = json.load(f)
    return Snapshot(path=os.path.abspath(path), id=saved["id"], commit=saved["commit"],
                    dirty=bool(saved["dirty"]))

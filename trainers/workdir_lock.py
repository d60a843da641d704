"""One writer per workdir: the programs that write a workdir hold `<workdir>/.lock`.

The lock is an `flock` on that file, which the kernel releases when its holder
ends however it ends, and the file names the holder (program, pid, host, start
time). A second program on the same workdir stops before it writes anything,
with an error naming the holder. A holder that ended without releasing the lock
(killed) left its name in the file: the next program takes the lock over and
says so. A clean release empties the file.
"""

import contextlib
import datetime
import fcntl
import os
import socket

from zoo.errors import UserError, warn_user

__all__ = ["LOCK", "NoSuchWorkdirError", "WorkdirInUseError", "workdir_lock"]

LOCK = ".lock"


class WorkdirInUseError(UserError, RuntimeError):
    """Another live process holds the workdir; the message names it."""


class NoSuchWorkdirError(UserError, FileNotFoundError):
    """A program that reads a workdir was given a path that is not a folder."""


@contextlib.contextmanager
def workdir_lock(workdir, program, create=True):
    """Holds `<workdir>/.lock` for `program` (e.g. "trainers.train") while the block runs.

    Args:
        create: make the workdir if it does not exist (a program that writes
            one); False for programs that read a workdir (export, evaluate).

    Raises:
        WorkdirInUseError: another process holds it.
        NoSuchWorkdirError: `create` is False and there is no such folder.
    """
    if create:
        os.makedirs(workdir, exist_ok=True)
    elif not os.path.isdir(workdir):
        raise NoSuchWorkdirError(f"{workdir} is not a folder: no such workdir.")
    path = os.path.join(workdir, LOCK)
    with open(path, "a+") as f:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            raise WorkdirInUseError(f"{workdir} is in use by {holder}; wait for it to end or "
                                    f"stop it.") from None
        f.seek(0)
        previous = f.read().strip()
        if previous:
            warn_user(f"{workdir}: taking over the lock of {previous}, which ended without "
                      f"releasing it.")
        now = datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
        f.seek(0)
        f.truncate()
        f.write(f"{program} (pid {os.getpid()} on {socket.gethostname()} since {now})\n")
        f.flush()
        try:
            yield
        finally:
            f.seek(0)
            f.truncate()
            f.flush()

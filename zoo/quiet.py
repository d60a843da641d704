"""Hides TensorFlow's C++ log lines from a program's stderr, so that users read the program.

TensorFlow and XLA log from C++ before `absl::InitializeLog()` runs, which
`TF_CPP_MIN_LOG_LEVEL` does not silence ("All log messages before
absl::InitializeLog() is called are written to STDERR", "failed call to
cuInit", oneDNN and XLA service banners). The only way to keep them out is to
filter the process's file descriptor 2: `hide_tensorflow_logs_unless(show)`
points it at a pipe and forwards every line except those in the C++ log
format (`I0000 00:00:... file.cc:12] ...`). Python's own output (warnings,
tracebacks) passes through; at exit the descriptor is restored and the pipe
drained, so nothing the program wrote is lost.

The zoo's programs install it when they start, before they import TensorFlow,
unless the command line carries `--tf_logs` (`zoo.programs.setup_programs_of`).
"""

import atexit
import os
import re
import sys
import threading

__all__ = ["SHOW_FLAG", "hide_tensorflow_logs_unless", "is_tensorflow_log_line"]

SHOW_FLAG = "--tf_logs"
_installed = False

_CPP_LOG = re.compile(
    rb"^(?:[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|To enable the following instructions: .*rebuild TensorFlow)")


def is_tensorflow_log_line(line):
    """Whether `line` (bytes) is one of TensorFlow's C++ log lines."""
    return bool(_CPP_LOG.match(line))


def hide_tensorflow_logs_unless(show):
    """Filters TensorFlow's C++ log lines out of stderr, unless `show`."""
    global _installed
    if show or _installed:
        return
    _installed = True
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    original = os.dup(2)
    read_end, write_end = os.pipe()
    os.dup2(write_end, 2)
    os.close(write_end)

    def forward():
        with os.fdopen(read_end, "rb") as source, os.fdopen(os.dup(original), "wb", 0) as sink:
            for line in source:
                if not is_tensorflow_log_line(line):
                    sink.write(line)

    thread = threading.Thread(target=forward, name="stderr-filter", daemon=True)
    thread.start()

    @atexit.register
    def _restore():
        sys.stderr.flush()
        os.dup2(original, 2)   # closes the pipe's last write end: the thread drains and ends
        thread.join(timeout=5)

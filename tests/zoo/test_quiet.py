"""The zoo's programs keep TensorFlow's C++ log lines out of stderr, unless --tf_logs."""

import os
import subprocess
import sys

import pytest

from zoo import quiet

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.mark.parametrize("line, is_log", [
    (b"I0000 00:00:1796161161.139781   17871 port.cc:153] oneDNN custom operations are on.\n",
     True),
    (b"E0000 00:00:1796160139.713048   12381 cuda_platform.cc:52] failed call to cuInit\n",
     True),
    (b"W1201 21:04:16.123456    42 service.cc:12] XLA service initialized\n", True),
    (b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
     True),
    (b"error: No exports in /tmp/x.\n", False),
    (b"Traceback (most recent call last):\n", False),
    (b"I0000 is not how a user's own line starts, unless it is TensorFlow's\n", False),
])
def test_tensorflow_log_lines_are_recognized(line, is_log):
    assert quiet.is_tensorflow_log_line(line) is is_log


def _run(*args):
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return subprocess.run([sys.executable, "-m", "savedmodels.evaluate_export", *args],
                          cwd=ROOT, env=dict(env, PYTHONPATH=ROOT), capture_output=True,
                          timeout=300)


def test_a_program_hides_them_and_shows_them_with_tf_logs():
    # evaluate_export imports TensorFlow at its top, which logs from C++ on start-up.
    hidden = _run("--helpfull")
    assert b"--export_dir:" in hidden.stdout
    assert not any(quiet.is_tensorflow_log_line(line)
                   for line in hidden.stderr.splitlines(keepends=True)), hidden.stderr[-2000:]
    shown = _run("--helpfull", "--tf_logs")
    assert b"--export_dir:" in shown.stdout            # the flag is taken out before absl parses
    assert any(quiet.is_tensorflow_log_line(line)
               for line in shown.stderr.splitlines(keepends=True)), shown.stderr[-2000:]
    # The program's own errors come through the filter.
    failed = _run("--export_dir=/nonexistent", "--data_dir=/nonexistent")
    assert failed.returncode != 0 and b"Traceback" in failed.stderr


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

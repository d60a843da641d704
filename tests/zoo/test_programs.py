"""The zoo's programs turn on oneDNN before TensorFlow loads; a library import does not.

They print their results as JSON blocks that concurrent workers do not interleave.
"""

import json
import os
import re
import subprocess
import sys

import pytest

from zoo import programs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ONEDNN_ON = b"oneDNN custom operations are on"


@pytest.mark.parametrize("argv, package, expected", [
    (["python", "-m", "trainers.train", "--experiment=x"], "trainers", True),
    (["/venv/bin/python", "-u", "-m", "savedmodels.showcase"], "savedmodels", True),
    (["python", "-m", "trainers.train"], "savedmodels", False),
    (["python", "-m", "trainers_extra.train"], "trainers", False),   # another package
    (["python", "-m", "pytest", "-q"], "trainers", False),
    (["python", "-c", "import trainers"], "trainers", False),
    (["python", "script.py", "-m", "trainers.train"], "trainers", False),   # a script's argument
    (["python", "-W", "ignore", "-mtrainers.train"], "trainers", True),
    (["python", "-c", "print(1)", "-m", "trainers.train"], "trainers", False),
    ([], "trainers", False),
])
def test_what_counts_as_running_a_program(argv, package, expected):
    assert programs.runs_a_program_of(package, argv) is expected


def _environment(**changes):
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", programs.ONEDNN_VARIABLE)}
    env.update(changes, PYTHONPATH=ROOT)
    return env


def _program_stderr(**env):
    # --tf_logs keeps TensorFlow's C++ lines, among them its line saying oneDNN is on.
    run = subprocess.run([sys.executable, "-m", "savedmodels.evaluate_export", "--helpfull",
                          "--tf_logs"], cwd=ROOT, env=_environment(**env), capture_output=True,
                         timeout=300)
    assert b"--export_dir:" in run.stdout, run.stderr[-2000:]
    return run.stderr


def test_a_program_turns_onednn_on_unless_the_environment_says_otherwise():
    assert ONEDNN_ON in _program_stderr()
    assert ONEDNN_ON not in _program_stderr(**{programs.ONEDNN_VARIABLE: "0"})


def test_importing_the_packages_as_a_library_sets_nothing():
    code = ("import os, benchmarks, savedmodels, trainers; "
            f"print(os.environ.get({programs.ONEDNN_VARIABLE!r}))")
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_environment(),
                         capture_output=True, timeout=120)
    assert run.stdout.strip() == b"None", run.stderr[-2000:]


class _RecordingStream:
    def __init__(self):
        self.writes, self.flushes = [], 0

    def write(self, text):
        self.writes.append(text)

    def flush(self):
        self.flushes += 1


def test_results_are_printed_in_one_flushed_write():
    stream = _RecordingStream()
    results = {"task": "worker/1", "test_elbo": -88.5, "replicas": 2}
    programs.print_results(results, stream)
    assert len(stream.writes) == 1 and stream.flushes == 1
    assert stream.writes[0].endswith("}\n") and json.loads(stream.writes[0]) == results


def test_two_processes_printing_results_into_one_pipe_do_not_interleave():
    # What the multi-worker example in docs/distributed.md does: both workers
    # print into one pipe. Unbuffered, `print` wrote the text and its newline
    # separately and one worker's block could start behind the other's "}".
    code = ("import sys; from zoo import programs\n"
            "for i in range(3000):\n"
            "    programs.print_results({'task': sys.argv[1], 'i': i, 'pad': 'x' * 900})\n")
    read_end, write_end = os.pipe()
    workers = [subprocess.Popen([sys.executable, "-c", code, task], cwd=ROOT, stdout=write_end,
                                env=_environment(PYTHONUNBUFFERED="1"))
               for task in ("chief", "worker")]
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        printed = pipe.read()
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    blocks = re.findall(r"^\{.*?^\}$", printed, flags=re.M | re.S)
    assert sorted(json.loads(b)["task"] for b in blocks) == ["chief"] * 3000 + ["worker"] * 3000


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

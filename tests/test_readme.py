"""The README's two commands: .ci/run runs the test command exactly as written."""

import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _readme_commands():
    text = open(os.path.join(ROOT, "README.md")).read()
    return re.findall(r"```(?:bash|sh)\n(.*?)\n```", text, flags=re.S)


def test_ci_runs_the_readme_test_command_verbatim():
    commands = _readme_commands()
    assert len(commands) >= 2
    setup_and_train, setup_and_test = commands[0], commands[1]
    assert "trainers.train --experiment=vae_standard_static_mnist" in setup_and_train
    assert "pytest" in setup_and_test
    ci_lines = open(os.path.join(ROOT, ".ci", "run")).read().splitlines()
    assert setup_and_test in ci_lines


def test_readme_flags_exist_in_the_training_program():
    from absl import flags

    from trainers import train  # noqa: F401  (defines the flags)
    setup_and_train = _readme_commands()[0]
    for flag in re.findall(r"--(\w+)=", setup_and_train.split("trainers.train", 1)[1]):
        assert flag in flags.FLAGS, flag


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

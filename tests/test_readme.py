"""The README's two commands: .ci/run runs the test command exactly as written."""

import os
import re

import numpy as np
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


def test_the_prior_in_your_own_keras_model_example_runs_and_fits():
    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split("### A prior in your own Keras model", 1)[1]
    code = re.search(r"```python\n(.*?)\n```", section, flags=re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    # A Gaussian fitted to the ring scores -3.54 nats; the data's own entropy
    # bound is about -1.65. The flow must land well inside that gap.
    assert -2.6 < namespace["mean_log_likelihood"] < -1.5
    samples = namespace["samples"].numpy()
    radius = np.linalg.norm(samples, axis=1)
    assert samples.shape == (1000, 2)
    assert abs(np.median(radius) - 2.0) < 0.15


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

"""The generated BUILD: the tests CI runs with pytest only (`imports_only`)."""

import os
import re
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _test_targets():
    """name -> (size, tags, whether the target lists data files), from BUILD."""
    text = open(os.path.join(ROOT, "BUILD")).read()
    targets = {}
    for match in re.finditer(r'^py_test\(\n    name = "(\w+)",\n(.*?)^\)', text, re.S | re.M):
        body = match.group(2)
        tags = re.search(r"    tags = \[\n(.*?)    \],", body, re.S)
        targets[match.group(1)] = (re.search(r'size = "(\w+)"', body).group(1),
                                   set(re.findall(r'"(\w+)"', tags.group(1))) if tags else set(),
                                   "    data = " in body)
    return targets


def test_only_medium_and_large_tests_that_need_nothing_but_their_imports_are_imports_only():
    targets = _test_targets()
    assert len(targets) > 50
    tagged = {name for name, (_, tags, _) in targets.items() if "imports_only" in tags}
    # Models trained in process on synthetic data: nothing but imports.
    assert {"tests_zoo_models_test_vae_priors", "tests_zoo_models_test_hierarchical_vae",
            "tests_savedmodels_test_validation"} <= tagged
    assert not tagged & {
        "tests_savedmodels_test_export",       # runs a subprocess
        "tests_savedmodels_test_pretrained",   # its library reads savedmodels/pretrained/**
        "tests_test_docs",                     # reads the docs (data)
        "tests_zoo_networks_test_mlp",         # small: runs under Bazel as the check
        "tests_trainers_test_train_program",   # slow: runs training programs
    }
    for name in tagged:
        size, tags, has_data = targets[name]
        assert size in ("medium", "large") and "slow" not in tags and not has_data, name


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

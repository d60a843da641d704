"""The project installs as a package (pyproject.toml): the three packages and the shipped
registry land in site-packages, and the library works from another folder (a preset loads
there as here)."""

import json
import os
import shutil
import subprocess
import sys

import numpy as np

from zoo import presets

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# What requirements.txt pins for the test command only.
TEST_RUNNER = ("pytest", "pytest-xdist", "execnet")


def _pinned(lines):
    pins = [line.split("#")[0].strip() for line in lines]
    return sorted(p for p in pins if p and p.split("==")[0] not in TEST_RUNNER)


def test_pyproject_pins_what_requirements_pin():
    import tomllib

    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        project = tomllib.load(f)["project"]
    with open(os.path.join(ROOT, "requirements.txt")) as f:
        assert sorted(project["dependencies"]) == _pinned(f.readlines())


def test_installed_package_imports_and_finds_the_registry_outside_the_repository(tmp_path):
    source, target, elsewhere = tmp_path / "source", tmp_path / "site", tmp_path / "elsewhere"
    for name in ("zoo", "trainers", "savedmodels"):
        shutil.copytree(os.path.join(ROOT, name), source / name,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(os.path.join(ROOT, name), source / name)
    # --no-deps: the pinned dependencies are this interpreter's already.
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-cache-dir",
                    "--no-build-isolation", f"--target={target}", str(source)], check=True,
                   capture_output=True, timeout=300)
    elsewhere.mkdir()
    # A preset too: its Keras config and the SavedModel's variables it reads ship as package data.
    code = ("import json, os, zoo, savedmodels, trainers\n"
            "from zoo import presets\n"
            "from zoo.models import VAE\n"
            "vae = VAE.from_preset('led_mlp_vae_standard_static_mnist')\n"
            "print(json.dumps({'zoo': zoo.__file__, 'registry': presets.registry_dir(),\n"
            "    'names': [m['name'] for m in savedmodels.list()],\n"
            "    'preset': [type(vae).__name__, float(sum(abs(w.numpy()).sum()\n"
            "                                             for w in vae.weights))]}))\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", presets.REGISTRY_ENV)}
    result = subprocess.run([sys.executable, "-c", code], cwd=elsewhere, capture_output=True,
                            text=True, timeout=300, env=dict(env, PYTHONPATH=str(target),
                                                             TF_CPP_MIN_LOG_LEVEL="3"))
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["zoo"].startswith(str(target))
    assert found["registry"] == os.path.join(str(target), "savedmodels", "pretrained")
    shipped = sorted(n for n in os.listdir(os.path.join(ROOT, "savedmodels", "pretrained"))
                     if not n.startswith("."))
    assert found["names"] == shipped and shipped
    import zoo.models  # noqa: F401  (registers the zoo's classes for loading)
    here = presets.load_keras_model(presets.preset_dir("led_mlp_vae_standard_static_mnist"))
    assert found["preset"][0] == "VAE"
    np.testing.assert_allclose(found["preset"][1], sum(np.abs(w.numpy()).sum()
                                                       for w in here.weights), rtol=1e-6)


if __name__ == "__main__":  # Bazel py_test entry point.
    import pytest
    sys.exit(pytest.main([__file__, "-q"]))


def _imported_packages(folder):
    """{top-level package imported anywhere in `folder`'s Python files: [file, ...]}."""
    import ast

    found = {}
    for directory, _, names in os.walk(os.path.join(ROOT, folder)):
        for name in names:
            if not name.endswith(".py"):
                continue
            path = os.path.join(directory, name)
            with open(path) as f:
                tree = ast.parse(f.read(), path)
            for node in ast.walk(tree):
                modules = ([a.name for a in node.names] if isinstance(node, ast.Import) else
                           [node.module] if isinstance(node, ast.ImportFrom) and node.module
                           else [])
                for module in modules:
                    found.setdefault(module.split(".")[0], []).append(
                        os.path.relpath(path, ROOT))
    return found


def test_the_library_layers_import_downwards_only():
    # zoo is the library; savedmodels exports and serves its models; trainers
    # runs experiments on both. Nothing imports a layer above it.
    assert "trainers" not in _imported_packages("zoo")
    assert "savedmodels" not in _imported_packages("zoo")
    assert "trainers" not in _imported_packages("savedmodels")

"""The README's commands: the main job, the tests (.ci/run runs them exactly as written), the
short training."""

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
    setup_and_run, setup_and_test, train = commands[0], commands[1], commands[2]
    assert "-m savedmodels.showcase --data_dir=../shared/data" in setup_and_run
    assert "pytest" in setup_and_test
    assert "trainers.train --experiment=vae_standard_static_mnist" in train
    ci_lines = open(os.path.join(ROOT, ".ci", "run")).read().splitlines()
    assert setup_and_test in ci_lines


def test_readme_flags_exist_in_the_training_program():
    from absl import flags

    from trainers import train  # noqa: F401  (defines the flags)
    train_command = _readme_commands()[2]
    for flag in re.findall(r"--(\w+)=", train_command.split("trainers.train", 1)[1]):
        assert flag in flags.FLAGS, flag


def test_the_main_job_runs_on_a_tiny_registry_and_prints_its_table(tmp_path):
    """The first command's program on a synthetic registry: table, json and grids."""
    import json
    import subprocess
    import sys

    from savedmodels import export
    from tests.tiny_models import write_synthetic_mnist
    from zoo.models import build_gated_mlp_vae

    (tmp_path / "data").mkdir()
    data_dir = write_synthetic_mnist(tmp_path / "data", test=30)
    registry = str(tmp_path / "registry")
    model = build_gated_mlp_vae((28, 28, 1), latent_dim=3, hidden_units=(8,), seed=0)
    export.export_model(model, registry, "tiny_vae", metadata={
        "dataset": "static_mnist", "paper_nll": 88.56,
        "metrics": {"test_log_likelihood": -500.0, "test_log_likelihood_stderr": 1.0,
                    "log_likelihood_num_samples": 5000, "log_likelihood_num_examples": 30}})
    setup_and_run = _readme_commands()[0]
    flags_used = re.findall(r"--(\w+)=", setup_and_run.split("savedmodels.showcase", 1)[1])
    assert flags_used == ["data_dir", "output_dir"]
    output = str(tmp_path / "showcase")
    result = subprocess.run(
        [sys.executable, "-m", "savedmodels.showcase", f"--data_dir={data_dir}",
         f"--output_dir={output}", "--num_samples=10", "--num_examples=20",
         f"--registry={registry}"], cwd=ROOT, capture_output=True, text=True, timeout=300,
        env={k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "tiny_vae v1" in result.stdout and "-500.00 ± 1.00 (5,000, 30)" in result.stdout
    assert "-88.56" in result.stdout
    assert "I0000" not in result.stderr and "absl::InitializeLog" not in result.stderr
    rows = json.load(open(os.path.join(output, "showcase.json")))
    assert [(r["name"], r["num_samples"], r["num_examples"]) for r in rows] == [
        ("tiny_vae", 10, 20)]
    assert rows[0]["test_log_likelihood"] < 0
    for grid, shape in (("samples.png", (8 * 28, 8 * 28)), ("reconstructions.png",
                                                              (4 * 28, 8 * 28))):
        import tensorflow as tf
        image = tf.io.decode_png(open(os.path.join(output, "tiny_vae", grid), "rb").read())
        assert tuple(image.shape[:2]) == shape, grid
    # The stderr filter hides TensorFlow's lines only: the program's own errors come through.
    empty = subprocess.run(
        [sys.executable, "-m", "savedmodels.showcase", f"--data_dir={data_dir}",
         f"--registry={tmp_path / 'nothing'}"], cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    assert empty.returncode == 2 and "savedmodels.showcase: No exports in" in empty.stderr


def _python_snippets():
    text = open(os.path.join(ROOT, "README.md")).read()
    return re.findall(r"```python\n(.*?)\n```", text, flags=re.S)


def test_the_quickstart_pretrained_snippet_runs():
    namespace = {}
    exec(compile(_python_snippets()[0], "README.md", "exec"), namespace)
    from zoo.models import VAE
    from zoo.priors import Prior
    assert isinstance(namespace["vae"], VAE) and isinstance(namespace["prior"], Prior)
    log_px = np.asarray(namespace["log_px"])
    assert log_px.shape == (8,) and np.all(log_px < 0)
    assert namespace["images"].shape == (16, 28, 28, 1) and namespace["codes"].shape == (8, 40)


def test_the_quickstart_vampprior_in_your_own_model_trains_saves_and_loads(tmp_path,
                                                                            monkeypatch):
    monkeypatch.chdir(tmp_path)   # it writes my_vae.keras where it runs
    namespace = {}
    exec(compile(_python_snippets()[1], "README.md", "exec"), namespace)
    losses = namespace["history"].history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    again = namespace["again"]
    assert type(again).__name__ == "MyVAE" and again.prior._encode is not None
    x = namespace["x"][:4]
    np.testing.assert_allclose(again.posterior(x)[0], namespace["model"].posterior(x)[0],
                               rtol=1e-5)


def _assert_flags_exist(commands_and_modules):
    """Every `--flag=` of each command is a flag its program defines (`--helpfull`)."""
    import subprocess
    import sys

    for command, module in commands_and_modules:
        assert f"-m {module} " in command
        result = subprocess.run([sys.executable, "-m", module, "--helpfull"], cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                                text=True, timeout=120)
        for flag in re.findall(r"--(\w+)=", command):
            assert f"--{flag}:" in result.stdout, (module, flag)


def test_the_quickstart_training_commands_use_flags_the_programs_define():
    train, evaluate = _readme_commands()[3].splitlines()
    _assert_flags_exist(((train, "trainers.train"), (evaluate, "trainers.evaluate")))
    assert "--experiment=vae_vamp_static_mnist" in train


def test_the_own_images_commands_use_flags_the_programs_define():
    train, export = _readme_commands()[4].splitlines()
    assert "--dataset=my_images.npz" in train and "--likelihood=discretized_logistic" in train
    _assert_flags_exist(((train, "trainers.train"), (export, "trainers.export")))


def test_the_readme_is_short_and_its_links_resolve():
    text = open(os.path.join(ROOT, "README.md")).read()
    assert len(text.encode()) <= 15_000
    for link in re.findall(r"\]\((docs/[^)#]+)", text):
        assert os.path.exists(os.path.join(ROOT, link)), link


def test_the_queue_commands_use_flags_the_programs_define():
    import subprocess
    import sys

    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split("## Reproducing the papers: the queue", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)\n```", section, flags=re.S).group(1).replace("\\\n", " ")
    commands = [c.split("#")[0] for c in block.splitlines() if "python -m " in c]
    assert [c.split("python -m ")[1].split()[0] for c in commands] == [
        "trainers.reproduce", "trainers.reproduce", "savedmodels.results"]
    assert "--status" in commands[1]
    result = subprocess.run([sys.executable, "-m", "trainers.reproduce", "--helpfull"], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                            text=True, timeout=120)
    assert "--runs_dir:" in result.stdout, result.stderr[-2000:]
    for command in commands[:2]:
        for flag in re.findall(r"--(\w+)", command):
            assert f"--{flag}:" in result.stdout or f"--[no]{flag}:" in result.stdout, flag


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

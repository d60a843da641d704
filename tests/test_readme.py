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
    assert empty.returncode == 2 and "error: No exports in" in empty.stderr


def test_the_table_of_named_experiments_is_the_registry():
    from trainers import experiments

    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split("### Named experiments", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([\d.]+|—) \|", section, flags=re.M)
    listed = dict(rows)
    assert len(listed) == len(rows)                      # no experiment twice
    assert set(listed) == set(experiments.EXPERIMENTS.names())
    for name, value in listed.items():
        paper_nll = experiments.get_experiment(name).paper_nll
        assert value == ("—" if paper_nll is None else f"{paper_nll:.2f}"), name


def test_the_ncp_commands_use_flags_the_programs_define():
    import subprocess
    import sys

    text = open(os.path.join(ROOT, "README.md")).read()
    section = text.split("### Stage 2 from the command line", 1)[1]
    block = re.search(r"```\n(.*?)\n```", section, flags=re.S).group(1).replace("\\\n", " ")
    commands = [line for line in block.splitlines() if line.startswith("python -m ")]
    assert [c.split()[2] for c in commands] == ["trainers.train_ncp", "trainers.sample_ncp"]
    for command in commands:
        module = command.split()[2]
        result = subprocess.run([sys.executable, "-m", module, "--helpfull"], cwd=ROOT,
                                env=dict(os.environ, PYTHONPATH=ROOT), capture_output=True,
                                text=True, timeout=120)
        help_text = result.stdout   # absl exits with status 1 after --helpfull
        assert "--workdir:" in help_text, result.stderr[-2000:]   # the program's own flags
        for flag in re.findall(r"--(\w+)=", command):
            assert f"--{flag}:" in help_text, (module, flag)


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


def _section(title):
    text = open(os.path.join(ROOT, "README.md")).read()
    return text.split(title, 1)[1]


def test_the_pretrained_models_example_runs():
    code = re.search(r"```python\n(.*?)\n```", _section("### Pretrained models"),
                     flags=re.S).group(1)
    namespace = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["estimates"]["log_likelihood"].shape == (8,)
    assert namespace["samples"]["x"].shape == (16, 28, 28, 1)


def test_the_rest_requests_run_as_tf_serving_maps_them():
    # TF Serving's REST mapping: "instances" stacks the rows of a one-input
    # signature into its batch; "inputs" (columnar) takes each value as it is.
    import json

    import tensorflow as tf

    import savedmodels
    block = re.search(r"REST requests to.*?```\n(.*?)\n```",
                      _section("### Serving with TF Serving"), flags=re.S).group(1)
    image = json.dumps([[[0.0]] * 28] * 28)
    requests = [json.loads(line.replace("IMAGE", image).replace("Z", json.dumps([0.0] * 40)))
                for line in block.splitlines() if line.startswith("{")]
    signatures = savedmodels.load("vae_standard_static_mnist").signatures
    shapes = {}
    for request in requests:
        signature = signatures[request["signature_name"]]
        specs = signature.structured_input_signature[1]
        if "instances" in request:
            (name, spec), = specs.items()
            inputs = {name: np.asarray(request["instances"], spec.dtype.as_numpy_dtype)}
        else:
            inputs = {k: np.asarray(v, specs[k].dtype.as_numpy_dtype)
                      for k, v in request["inputs"].items()}
        outputs = signature(**{k: tf.constant(v) for k, v in inputs.items()})
        shapes[request["signature_name"]] = {k: tuple(v.shape) for k, v in outputs.items()}
    assert shapes == {
        "encode": {"loc": (2, 40), "scale": (2, 40), "z": (2, 40)},
        "decode": {"mean": (1, 28, 28, 1), "logits": (1, 28, 28, 1)},
        "log_likelihood": {"log_likelihood": (2,), "elbo": (2,)},
        "sample": {"x": (4, 28, 28, 1), "z": (4, 40), "mean": (4, 28, 28, 1)},
    }


def test_the_saved_model_cli_commands_run(tmp_path):
    import subprocess
    import sys
    block = re.search(r"with `saved_model_cli`.*?```\n(.*?)\n```",
                      _section("### Serving with TF Serving"), flags=re.S).group(1)
    commands = block.replace("\\\n", " ").splitlines()
    os.symlink(os.path.join(ROOT, "savedmodels"), tmp_path / "savedmodels")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
               PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    outputs = []
    for command in commands:
        result = subprocess.run(command, shell=True, cwd=tmp_path, env=env,
                                capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, (command, result.stderr[-2000:])
        outputs.append(result.stdout)
    assert "signature_def['log_likelihood']" in outputs[0]
    assert "Result for output key x" in outputs[1]
    assert "Result for output key log_likelihood" in outputs[3]



def test_the_two_worker_example_runs_as_written(tmp_path):
    # As written, but on synthetic data in a temporary workdir, on free ports
    # and with this interpreter (tests never read ../shared).
    import json
    import socket
    import subprocess
    import sys
    block = re.search(r"### Two workers on one machine\n\n```bash\n(.*?)\n```", open(
        os.path.join(ROOT, "README.md")).read(), flags=re.S).group(1)
    from tests.tiny_models import write_synthetic_mnist
    write_synthetic_mnist(tmp_path)
    sockets = [socket.socket() for _ in range(2)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [str(s.getsockname()[1]) for s in sockets]
    for s in sockets:
        s.close()
    workdir = str(tmp_path / "multi_worker")
    script = (block.replace("../shared/data", str(tmp_path))
              .replace("workdirs/multi_worker", workdir)
              .replace(".venv/bin/python", sys.executable)
              .replace("23456", ports[0]).replace("23457", ports[1]))
    assert script != block
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True,
                            timeout=600, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2",
                                                  PYTHONPATH=ROOT))
    assert result.returncode == 0, result.stderr[-3000:]
    printed = [json.loads(text) for text in re.findall(r"^\{.*?^\}", result.stdout,
                                                        flags=re.M | re.S)]
    assert len(printed) == 2
    chief = json.load(open(os.path.join(workdir, "evaluation.json")))
    assert chief["replicas"] == 2 and chief["epochs_trained"] == 1
    assert {p["weights_sha256"] for p in printed} == {chief["weights_sha256"]}


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

"""The docs pages' examples run as written and their tables and commands match the code."""

import os
import re

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_every_relative_link_of_the_docs_resolves():
    folder = os.path.join(ROOT, "docs")
    for page in sorted(os.listdir(folder)):
        if page.endswith(".md"):
            text = open(os.path.join(folder, page)).read()
            for link in re.findall(r"\]\(([^)#:\s=]+)(?:#[^)\s]*)?\)", text):
                assert os.path.exists(os.path.join(folder, link)), (page, link)


def test_the_projects_queue_command_names_registered_experiments():
    import subprocess

    from trainers import experiments, reproduction

    text = open(os.path.join(ROOT, "docs", "reproduction.md")).read()
    block = re.search(r"```bash\n(QUEUE=.*?)\n```", text, flags=re.S).group(1)
    assignments = "\n".join(line for line in block.splitlines() if line.startswith("QUEUE"))
    queue = subprocess.run(["bash", "-c", assignments + '\nprintf %s "$QUEUE"'],
                           capture_output=True, text=True, check=True).stdout
    assert " " not in queue and "--experiments=$QUEUE " in block
    entries = reproduction.parse_entries(queue.split(","))
    names = [e.experiment for e in entries]
    assert names[:4] == ["vae_standard_static_mnist", "vae_vamp_static_mnist",
                         "lars_vae_standard_dynamic_mnist", "hvae_vamp_static_mnist"]
    assert entries[2].ncp and set(names) <= set(experiments.EXPERIMENTS.names())


def test_the_table_of_named_experiments_is_the_registry():
    from trainers import experiments

    text = open(os.path.join(ROOT, "docs", "experiments.md")).read()
    section = text.split("### Named experiments", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `(\w+)` \| ([\d.]+|—) \| (.*) \|$", section, flags=re.M)
    listed = {name: (value, description) for name, value, description in rows}
    assert len(listed) == len(rows)                      # no experiment twice
    assert set(listed) == set(experiments.EXPERIMENTS.names())
    for name, (value, description) in listed.items():
        config = experiments.get_experiment(name)
        assert value == ("—" if config.paper_nll is None else f"{config.paper_nll:.2f}"), name
        assert description == config.description, name


def test_the_ncp_commands_use_flags_the_programs_define():
    import subprocess
    import sys

    text = open(os.path.join(ROOT, "docs", "ncp.md")).read()
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


def test_the_prior_in_your_own_keras_model_example_runs_and_fits():
    text = open(os.path.join(ROOT, "docs", "priors.md")).read()
    section = text.split("### A prior in your own Keras model", 1)[1]
    code = re.search(r"```python\n(.*?)\n```", section, flags=re.S).group(1)
    namespace = {}
    exec(compile(code, "docs/priors.md", "exec"), namespace)
    # A Gaussian fitted to the ring scores -3.54 nats; the data's own entropy
    # bound is about -1.65. The flow must land well inside that gap.
    assert -2.6 < namespace["mean_log_likelihood"] < -1.5
    samples = namespace["samples"].numpy()
    radius = np.linalg.norm(samples, axis=1)
    assert samples.shape == (1000, 2)
    assert abs(np.median(radius) - 2.0) < 0.15


def _section(page, title):
    text = open(os.path.join(ROOT, "docs", page)).read()
    return text.split(title, 1)[1]


def test_the_pretrained_models_example_runs():
    code = re.search(r"```python\n(.*?)\n```", _section("serving.md", "### Pretrained models"),
                     flags=re.S).group(1)
    namespace = {}
    exec(compile(code, "docs/serving.md", "exec"), namespace)
    assert namespace["estimates"]["log_likelihood"].shape == (8,)
    assert namespace["samples"]["x"].shape == (16, 28, 28, 1)


def test_the_rest_requests_run_as_tf_serving_maps_them(tmp_path, monkeypatch):
    # The page's script writes the request files; TF Serving's REST mapping: "instances"
    # stacks the rows of a one-input signature into its batch; "inputs" (columnar) takes
    # each value as it is.
    import json

    import tensorflow as tf

    import savedmodels
    section = _section("serving.md", "### Serving with TF Serving")
    script = re.search(r"```python\n(.*?)\n```", section, flags=re.S).group(1)
    send = re.search(r"```bash\n(.*?)\n```", section, flags=re.S).group(1)
    monkeypatch.chdir(tmp_path)
    exec(compile(script, "docs/serving.md", "exec"), {})
    names = re.search(r"for name in (.*?); do", send).group(1).split()
    assert "curl -s -d @$name.json http://localhost:8501/v1/models/vae:predict" in send
    requests = [json.load(open(tmp_path / f"{name}.json")) for name in names]
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
                      _section("serving.md", "### Serving with TF Serving"), flags=re.S).group(1)
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
        os.path.join(ROOT, "docs", "distributed.md")).read(), flags=re.S).group(1)
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
    report = f"stdout:\n{result.stdout[-3000:]}\nstderr:\n{result.stderr[-6000:]}"
    assert result.returncode == 0 and "failed: exit code" not in result.stderr, report
    printed = [json.loads(text) for text in re.findall(r"^\{.*?^\}", result.stdout,
                                                        flags=re.M | re.S)]
    assert sorted(p.get("task", "chief") for p in printed) == ["chief", "worker/1"], report
    chief = json.load(open(os.path.join(workdir, "evaluation.json")))
    assert chief["replicas"] == 2 and chief["epochs_trained"] == 1
    assert {p["weights_sha256"] for p in printed} == {chief["weights_sha256"]}


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

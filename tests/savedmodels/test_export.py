"""Exports of every prior: loaded-versus-in-memory parity, loading without project code,
the TF Serving layout, atomic writes and the metadata."""

import copy
import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import tensorflow as tf
from tensorflow.core.protobuf import saved_model_pb2

from savedmodels import export
from tests.tiny_models import IMAGE_SHAPE, LATENT_DIM, TINY_PRIORS, tiny_vae
from zoo import presets
from zoo.models import build_gated_mlp_hvae

EXPORTED = sorted(TINY_PRIORS) + ["hvae_vamp"]


def initialized_tiny_vae(prior_name):
    """A tiny one-level VAE with that prior, or "hvae_vamp": the two-level model."""
    if prior_name == "hvae_vamp":
        return build_gated_mlp_hvae(IMAGE_SHAPE, latent_dim=LATENT_DIM, hidden_units=(8,),
                                    prior="vamp", prior_config=TINY_PRIORS["vamp"], seed=1)
    model = tiny_vae(prior_name)
    if model.initialization_examples:
        model.initialize_from_data(binary_images(40, seed=9), seed=3)
    return model


def binary_images(n, seed=0):
    return (np.random.RandomState(seed).rand(n, *IMAGE_SHAPE) > 0.5).astype(np.float32)


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    """{prior name: (in-memory model, loaded export, export dir)}."""
    base = str(tmp_path_factory.mktemp("exports"))
    result = {}
    for name in EXPORTED:
        model = initialized_tiny_vae(name)
        path = export.export_model(model, base, name)
        result[name] = (model, tf.saved_model.load(path), path)
    return result


@pytest.mark.parametrize("name", EXPORTED)
def test_every_signature_matches_the_in_memory_model(name, exports):
    model, loaded, _ = exports[name]
    x = binary_images(5, seed=1)
    assert set(loaded.signatures) == {"encode", "decode", "log_likelihood", "sample",
                                      "serving_default"}

    encoded = loaded.signatures["encode"](x=x)
    expected = model.encode(x, seed=0)
    for key in ("loc", "scale", "z"):
        np.testing.assert_allclose(encoded[key], expected[key], rtol=0, atol=1e-6)
    default = loaded.signatures["serving_default"](x=x)
    np.testing.assert_array_equal(default["z"], encoded["z"])

    z = np.random.RandomState(2).randn(5, LATENT_DIM).astype(np.float32)
    decoded = loaded.signatures["decode"](z=z)
    features = model.decode_features(z)
    np.testing.assert_allclose(decoded["mean"], model.likelihood.mean(features), atol=1e-6)
    np.testing.assert_allclose(decoded["logits"], model.likelihood.logits(features), atol=1e-5)

    # 250 samples: three chunks of the export's 100, the last one short.
    estimates = loaded.signatures["log_likelihood"](x=x, num_samples=tf.constant(250))
    expected = model.importance_estimates(x, 250, chunk_size=100, seed=0)
    for key in ("log_likelihood", "elbo"):
        np.testing.assert_allclose(estimates[key], expected[key], rtol=1e-5)
    assert np.all(estimates["log_likelihood"].numpy() >= estimates["elbo"].numpy())

    sample = lambda seed: loaded.signatures["sample"](num_samples=tf.constant(7),
                                                       seed=tf.constant(seed, tf.int64))
    first, again, other = sample(11), sample(11), sample(12)
    for key in ("x", "z", "mean"):
        np.testing.assert_array_equal(first[key], again[key])
    assert not np.allclose(first["z"], other["z"])
    expected = model.sample(7, seed=11)
    np.testing.assert_allclose(first["z"], expected["z"], atol=1e-6)
    np.testing.assert_allclose(first["mean"], expected["mean"], atol=1e-6)
    np.testing.assert_array_equal(first["x"], expected["x"])
    assert first["x"].shape == (7,) + IMAGE_SHAPE and first["z"].shape == (7, LATENT_DIM)


def test_batches_are_processed_in_slices_each_with_its_own_seed(exports):
    """250 examples: three slices of the export's 100, the last one short; slice i draws with
    the seed [0, i] (or [seed, i]), so each slice equals the model called on it alone."""
    model, loaded, _ = exports["vamp"]
    x = binary_images(250, seed=6)
    slices = [(0, slice(0, 100)), (1, slice(100, 200)), (2, slice(200, 250))]
    seed = lambda s, i: tf.constant([s, i], tf.int64)
    concat = lambda parts, key: np.concatenate([p[key].numpy() for p in parts])
    encoded = loaded.signatures["encode"](x=x)
    parts = [model.encode(x[rows], seed=seed(0, i)) for i, rows in slices]
    for key in ("loc", "scale", "z"):
        np.testing.assert_allclose(encoded[key], concat(parts, key), atol=1e-6)
    estimates = loaded.signatures["log_likelihood"](x=x, num_samples=tf.constant(30))
    parts = [model.importance_estimates(x[rows], 30, chunk_size=100, seed=seed(0, i))
             for i, rows in slices]
    for key in ("log_likelihood", "elbo"):
        np.testing.assert_allclose(estimates[key], concat(parts, key), rtol=1e-5)
    sampled = loaded.signatures["sample"](num_samples=tf.constant(250),
                                          seed=tf.constant(11, tf.int64))
    parts = [model.sample(n, seed=seed(11, i)) for i, n in enumerate((100, 100, 50))]
    np.testing.assert_allclose(sampled["z"], concat(parts, "z"), atol=1e-6)
    np.testing.assert_array_equal(sampled["x"], concat(parts, "x"))
    assert len({tuple(row) for row in sampled["z"].numpy().round(5)}) == 250   # all distinct


def test_exports_load_and_run_without_the_project_code(exports, tmp_path):
    # A fresh interpreter outside the repository, with no PYTHONPATH: it must
    # not import (nor be able to import) zoo, and gets the parent's numbers.
    expected = {}
    x = binary_images(3, seed=4)
    np.save(tmp_path / "x.npy", x)
    for name, (_, loaded, path) in exports.items():
        expected[name] = {
            "z": loaded.signatures["encode"](x=x)["z"].numpy().tolist(),
            "ll": loaded.signatures["log_likelihood"](
                x=x, num_samples=tf.constant(20))["log_likelihood"].numpy().tolist()}
    script = textwrap.dedent("""
        import json, sys
        import numpy as np
        import tensorflow as tf
        x = np.load(sys.argv[1])
        out = {}
        for name, path in json.loads(sys.argv[2]).items():
            loaded = tf.saved_model.load(path)
            out[name] = {
                "z": loaded.signatures["encode"](x=x)["z"].numpy().tolist(),
                "ll": loaded.signatures["log_likelihood"](
                    x=x, num_samples=tf.constant(20))["log_likelihood"].numpy().tolist()}
        try:
            import zoo  # noqa: F401
            out["zoo_importable"] = True
        except ImportError:
            out["zoo_importable"] = False
        print(json.dumps(out))
    """)
    paths = {name: path for name, (_, _, path) in exports.items()}
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "2"
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "x.npy"), json.dumps(paths)],
        cwd=str(tmp_path), env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out.pop("zoo_importable") is False
    for name in paths:
        np.testing.assert_allclose(out[name]["z"], expected[name]["z"], atol=1e-6)
        np.testing.assert_allclose(out[name]["ll"], expected[name]["ll"], rtol=1e-5)


def test_tf_serving_layout_and_metadata(exports):
    model, _, path = exports["vamp"]
    assert os.path.basename(path) == "1"
    assert sorted(os.listdir(os.path.dirname(path))) == ["1"]   # no staging left behind
    for required in ("saved_model.pb", "variables", export.METADATA, export.KERAS_CONFIG):
        assert os.path.exists(os.path.join(path, required))
    assert not os.path.exists(os.path.join(path, export.KERAS_MODEL))
    metadata = export.read_metadata(path)
    assert metadata["serving_default"] == "encode"
    assert metadata["model"]["event_shape"] == list(IMAGE_SHAPE)
    assert metadata["model"]["latent_shape"] == [LATENT_DIM]
    assert metadata["model"]["prior"] == "VampPrior"
    assert metadata["limits"]["max_log_likelihood_samples"] == 10_000
    assert metadata["limits"]["max_batch"] == 10_000
    assert metadata["limits"]["max_log_likelihood_work"] == 10_000_000
    assert metadata["signatures"]["encode"]["inputs"]["x"] == (
        "float32 [batch, 4, 4, 1], values in [0, 1], at most 10000 per request")
    assert "binary values, 0 or 1" in metadata["signatures"]["log_likelihood"]["inputs"]["x"]
    # The tag TF Serving loads.
    saved_model = saved_model_pb2.SavedModel()
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        saved_model.ParseFromString(f.read())
    assert [list(g.meta_info_def.tags) for g in saved_model.meta_graphs] == [["serve"]]


def _checkpoint_tensors(export_dir):
    """{key: shape} of an export's variables, the object graph left out."""
    shapes = tf.train.load_checkpoint(os.path.join(export_dir, presets.CHECKPOINT)) \
        .get_variable_to_shape_map()
    return {k: v for k, v in shapes.items() if k != "_CHECKPOINTABLE_OBJECT_GRAPH"}


@pytest.mark.parametrize("name", ["vamp", "hvae_vamp"])
def test_the_keras_model_ships_beside_the_savedmodel_with_its_weights_stored_once(name, exports):
    model, loaded, path = exports[name]
    assert export.read_metadata(path)["keras_model"] == export.KERAS_CONFIG
    again = presets.load_keras_model(path)
    assert type(again) is type(model)
    for mine, theirs in zip(again.weights, model.weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    x = binary_images(3, seed=4)
    np.testing.assert_allclose(again.encode(x)["loc"], loaded.signatures["encode"](x=x)["loc"],
                               rtol=1e-5, atol=1e-6)
    # Every weight is one tensor of the SavedModel's variables, each weight its own, and
    # the checkpoint holds nothing else (the endpoints' variables are those same tensors).
    with open(os.path.join(path, export.KERAS_CONFIG)) as f:
        entries = json.load(f)["weights"]
    keys = [entry["checkpoint_key"] for entry in entries]
    assert sorted(keys) == sorted(_checkpoint_tensors(path))
    assert len(set(keys)) == len(model.weights)
    assert os.path.getsize(os.path.join(path, export.KERAS_CONFIG)) < 64_000


def test_a_compiled_model_ships_without_its_optimizer_state(tmp_path):
    import keras

    model = initialized_tiny_vae("standard")
    model.compile(optimizer=keras.optimizers.Adam(1e-3))
    model.fit(binary_images(8), epochs=1, batch_size=4, verbose=0)
    optimizer = model.optimizer
    path = export.export_model(model, str(tmp_path), "m")
    assert model.optimizer is optimizer   # the model keeps it
    with open(os.path.join(path, export.KERAS_CONFIG)) as f:
        assert "compile_config" not in json.load(f)["model"]
    assert len(_checkpoint_tensors(path)) == len(model.weights)   # no Adam moments
    again = presets.load_keras_model(path)
    assert getattr(again, "optimizer", None) is None
    np.testing.assert_array_equal(again.decoder.weights[0].numpy(),
                                  model.decoder.weights[0].numpy())   # the trained values


def test_a_weight_in_no_checkpoint_tensor_is_written_into_the_config_when_small(tmp_path):
    """An older export's SavedModel lacks the weights no signature reads (the model's
    `beta`): its scalar goes into the file; a large one is an error, not a lost weight."""
    model = initialized_tiny_vae("standard")
    rng = np.random.RandomState(0)
    for weight in model.weights:   # no two equal (a fresh gated layer's kernels are)
        weight.assign(np.asarray(rng.randn(*weight.shape), np.float32))
    beta = [i for i, w in enumerate(model.weights) if w.path.endswith("beta")]
    assert len(beta) == 1 and model.weights[beta[0]].shape == ()
    model.weights[beta[0]].assign(0.25)
    prefix = str(tmp_path / "ckpt")
    tf.train.Checkpoint(kept=[w.value for i, w in enumerate(model.weights) if i != beta[0]]) \
        .write(prefix)
    payload = export.keras_config(model, prefix)
    inline = [entry for entry in payload["weights"] if "value" in entry]
    assert len(inline) == 1 and inline[0]["path"] == model.weights[beta[0]].path
    assert inline[0]["value"] == 0.25
    again = presets.model_from_keras_config(payload, prefix)
    for mine, theirs in zip(again.weights, model.weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())

    kernel = model.decoder.weights[0]
    tf.train.Checkpoint(kept=[w.value for w in model.weights if w is not kernel]).write(prefix)
    with pytest.raises(export.ExportError, match=f"{kernel.path}.*too many to write"):
        export.keras_config(model, prefix, max_inline_values=kernel.shape[0])


def test_a_keras_config_that_does_not_match_what_it_builds_is_a_clear_error(exports):
    model, _, path = exports["vamp"]
    with open(os.path.join(path, export.KERAS_CONFIG)) as f:
        payload = json.load(f)
    checkpoint = os.path.join(path, presets.CHECKPOINT)
    bad = copy.deepcopy(payload)
    bad["format"] = 2
    with pytest.raises(presets.KerasConfigError, match="format 2; this zoo reads format 1"):
        presets.model_from_keras_config(bad, checkpoint)
    bad = copy.deepcopy(payload)
    del bad["weights"][3]
    with pytest.raises(presets.KerasConfigError,
                       match=f"builds {len(model.weights)} weights and lists "
                             f"{len(model.weights) - 1}\\."):
        presets.model_from_keras_config(bad, checkpoint)
    bad = copy.deepcopy(payload)
    bad["weights"][2], bad["weights"][3] = bad["weights"][3], bad["weights"][2]
    with pytest.raises(presets.KerasConfigError,
                       match=f"Weight 2 .* is \\S*{model.weights[2].path.split('/', 1)[1]}; "
                             f"the config lists {model.weights[3].path}"):
        presets.model_from_keras_config(bad, checkpoint)
    bad = copy.deepcopy(payload)
    bad["weights"][1]["checkpoint_key"] = "nope"
    with pytest.raises(presets.KerasConfigError, match="has no tensor 'nope'"):
        presets.model_from_keras_config(bad, checkpoint)
    bad = copy.deepcopy(payload)
    bad["weights"][1]["checkpoint_key"] = payload["weights"][2]["checkpoint_key"]
    with pytest.raises(presets.KerasConfigError,
                       match=f"{model.weights[1].path.split('/', 1)[1]} is \\(16, 8\\) "
                             "float32; its stored value is \\(8,\\) float32"):
        presets.model_from_keras_config(bad, checkpoint)
    with pytest.raises(presets.NoKerasModelError, match="ships no Keras model"):
        presets.load_keras_model(os.path.dirname(path))


def test_an_older_export_with_a_whole_keras_file_loads_and_is_rewritten_to_store_it_once(
        tmp_path):
    """Exports before 2026-12-07 ship `model.keras` (the weights a second time):
    load_keras_model still loads it, and savedmodels.store_weights_once replaces it."""
    from savedmodels.store_weights_once import store_weights_once

    model = initialized_tiny_vae("vamp")
    path = export.export_model(model, str(tmp_path), "old")
    os.remove(os.path.join(path, export.KERAS_CONFIG))
    keras_path = os.path.join(path, export.KERAS_MODEL)
    model.save(keras_path)
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        graph = f.read()

    def assert_is_the_model(loaded):
        assert type(loaded) is type(model)
        for mine, theirs in zip(loaded.weights, model.weights):
            np.testing.assert_array_equal(mine.numpy(), theirs.numpy())

    assert_is_the_model(presets.load_keras_model(path))
    keras_bytes = os.path.getsize(keras_path)
    saved = store_weights_once(path)
    assert saved == keras_bytes - os.path.getsize(os.path.join(path, export.KERAS_CONFIG)) > 0
    assert not os.path.exists(keras_path)
    assert_is_the_model(presets.load_keras_model(path))
    metadata = export.read_metadata(path)
    assert metadata["keras_model"] == export.KERAS_CONFIG
    assert "store_weights_once" in metadata["keras_model_stored_once"]["note"]
    assert store_weights_once(path) == 0   # done already
    with open(os.path.join(path, "saved_model.pb"), "rb") as f:
        assert f.read() == graph   # the SavedModel is untouched: TF Serving sees no change


def test_an_old_export_gets_its_keras_model_back_from_its_variables(tmp_path):
    """savedmodels.backfill_keras: the model rebuilt from the recorded experiment, with the
    SavedModel's variables, equals the exported one."""
    import dataclasses

    from savedmodels.backfill_keras import backfill_keras_model
    from trainers import experiments
    from zoo.models import build_model

    config = experiments.get_experiment("vae_vamp_static_mnist")
    config = dataclasses.replace(config, model=dataclasses.replace(
        config.model, latent_dim=3, hidden_units=(8,)))
    model = build_model(config.model, (28, 28, 1), seed=5)
    for weight in model.trainable_weights:   # not the seed's initial values
        weight.assign(weight + np.random.RandomState(1).normal(0, 0.01, weight.shape))
    path = export.export_model(model, str(tmp_path), "old",
                               metadata={"experiment": dataclasses.asdict(config)})
    os.remove(os.path.join(path, export.KERAS_CONFIG))
    backfill_keras_model(path)
    again = presets.load_keras_model(path)
    for mine, theirs in zip(again.trainable_weights, model.trainable_weights):
        np.testing.assert_array_equal(mine.numpy(), theirs.numpy())
    assert export.read_metadata(path)["keras_model"] == export.KERAS_CONFIG
    with pytest.raises(FileExistsError, match="ships its Keras model already"):
        backfill_keras_model(path)


def test_versions_count_up_and_an_existing_one_is_never_replaced(tmp_path):
    model = initialized_tiny_vae("standard")
    base = str(tmp_path)
    first = export.export_model(model, base, "m")
    second = export.export_model(model, base, "m")
    assert [os.path.basename(first), os.path.basename(second)] == ["1", "2"]
    with open(os.path.join(first, "saved_model.pb"), "rb") as f:
        before = f.read()
    with pytest.raises(FileExistsError, match=r"m/1 exists.*next free one is 3"):
        export.export_model(model, base, "m", version=1)
    with open(os.path.join(first, "saved_model.pb"), "rb") as f:
        assert f.read() == before
    assert export.export_model(model, base, "m", version=7).endswith(os.path.join("m", "7"))
    assert export.next_version(os.path.join(base, "m")) == 8
    for bad_name in ("", "a/b", ".hidden"):
        with pytest.raises(ValueError, match="plain folder name"):
            export.export_model(model, base, bad_name)
    with pytest.raises(ValueError, match="positive integer"):
        export.export_model(model, base, "m", version=0)


def test_an_export_failing_midway_leaves_the_previous_version_and_nothing_partial(
        tmp_path, monkeypatch):
    model = initialized_tiny_vae("vamp")
    base = str(tmp_path)
    good = export.export_model(model, base, "m")
    x = binary_images(2)
    expected = tf.saved_model.load(good).signatures["encode"](x=x)["loc"].numpy()

    real_save = tf.saved_model.save

    def save_then_fail(obj, path, *args, **kwargs):
        real_save(obj, path, *args, **kwargs)       # A complete-looking SavedModel...
        with open(os.path.join(path, "variables", "half-written"), "w") as f:
            f.write("x")
        raise OSError("disk full")                  # ...and then the writer fails.

    monkeypatch.setattr(tf.saved_model, "save", save_then_fail)
    with pytest.raises(OSError, match="disk full"):
        export.export_model(model, base, "m")
    monkeypatch.undo()

    assert sorted(os.listdir(os.path.join(base, "m"))) == ["1"]
    np.testing.assert_array_equal(
        tf.saved_model.load(good).signatures["encode"](x=x)["loc"], expected)
    # A staging folder left by a killed export is hidden from TF Serving and
    # from the version count, and does not stop the next export.
    os.makedirs(os.path.join(base, "m", ".2.partial-killed", "variables"))
    assert export.export_model(model, base, "m").endswith(os.path.join("m", "2"))


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

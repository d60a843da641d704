"""The C++ loader TF Serving is built on (tensorflow::LoadSavedModel) runs every signature
of an export by its SignatureDef tensor names and agrees with Python."""

import numpy as np
import pytest
import tensorflow as tf

from savedmodels import cc_loader, export
from zoo import priors
from zoo.models import build_gated_mlp_vae

IMAGE_SHAPE = (4, 4, 1)


def assert_same_float32_answer(actual, expected, err_msg):
    """C++ and Python run the same graph, but a kernel may sum in another order on another CPU
    (seen on CI: 1.9e-6 apart in a logit of 0.06, one ulp of the request's largest logit, 31.7).
    So the absolute tolerance scales with the output's largest magnitude: a few ulps of it."""
    expected = np.asarray(expected)
    scale = float(np.max(np.abs(expected), initial=1.0))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-6 * scale, err_msg=err_msg)


@pytest.fixture(scope="module")
def binary(tmp_path_factory):
    if cc_loader.compiler() is None:
        pytest.skip("No C++ compiler on this machine (g++, c++ or $CXX).")
    return cc_loader.compile_loader(str(tmp_path_factory.mktemp("cc") / "run_signatures"))


@pytest.fixture(scope="module")
def vamp_export(tmp_path_factory):
    model = build_gated_mlp_vae(IMAGE_SHAPE, latent_dim=3, hidden_units=(8,), prior="vamp",
                                prior_config=priors.VampPriorConfig(num_components=4), seed=2)
    return export.export_model(model, str(tmp_path_factory.mktemp("exports")), "vamp")


def test_cpp_loader_runs_every_signature_like_python(binary, vamp_export):
    x = (np.random.RandomState(0).rand(3, *IMAGE_SHAPE) > 0.5).astype(np.float32)
    z = np.random.RandomState(1).randn(3, 3).astype(np.float32)
    requests = {
        "encode": ("encode", {"x": x}),
        "default": ("serving_default", {"x": x}),
        "decode": ("decode", {"z": z}),
        "log_likelihood": ("log_likelihood", {"x": x, "num_samples": np.int32(150)}),
        "sample": ("sample", {"num_samples": np.int32(6), "seed": np.int64(3)}),
    }
    results, signatures = cc_loader.run_requests(binary, vamp_export, requests)
    # Besides ours, the C++ loader lists SavedModel's own "__saved_model_init_op".
    assert {k: v for k, v in signatures.items() if not k.startswith("__")} == {
        "encode": (["x"], ["loc", "scale", "z"]),
        "serving_default": (["x"], ["loc", "scale", "z"]),
        "decode": (["z"], ["logits", "mean"]),
        "log_likelihood": (["num_samples", "x"], ["elbo", "log_likelihood"]),
        "sample": (["num_samples", "seed"], ["mean", "x", "z"]),
    }
    loaded = tf.saved_model.load(vamp_export)
    for name, (signature, inputs) in requests.items():
        expected = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
        assert sorted(results[name]) == sorted(expected), name
        for key, value in expected.items():
            if name == "sample" and key == "x":
                np.testing.assert_array_equal(results[name][key], value)
            else:
                assert_same_float32_answer(results[name][key], value, f"{name}/{key}")


def test_cpp_loader_gets_invalid_argument_for_bad_requests(binary, vamp_export):
    x = np.ones((2,) + IMAGE_SHAPE, np.float32)
    results, _ = cc_loader.run_requests(binary, vamp_export, {
        "rank": ("encode", {"x": x[0]}),
        "range": ("encode", {"x": x * 3}),
        "dtype": ("encode", {"x": x.astype(np.float64)}),
        "count": ("log_likelihood", {"x": x, "num_samples": np.int32(0)}),
        "seed": ("sample", {"num_samples": np.int32(2), "seed": np.array([1, 2], np.int64)}),
        "fine": ("encode", {"x": x}),
    })
    expected = {
        "rank": "encode: x must have rank 4, shape [batch, 4, 4, 1]; got shape [4 4 1]",
        "range": "encode: x must lie in [0, 1]; got values from 3 to 3",
        "dtype": "double",
        "count": "log_likelihood: num_samples must be between 1 and 10000; got 0",
        "seed": "sample: seed must be a scalar (rank 0); got shape [2]",
    }
    for name, message in expected.items():
        assert isinstance(results[name], cc_loader.CppError), name
        assert results[name].code == "INVALID_ARGUMENT", (name, results[name])
        assert message in results[name].message, (name, results[name])
    assert results["fine"]["z"].shape == (2, 3)


def test_fuzzed_requests_through_the_cpp_loader(binary, vamp_export):
    """A few hundred random requests in one C++ process: it does not crash; each gets
    INVALID_ARGUMENT, or, if the contract accepts it, Python's answer."""
    from tests import fuzz_requests
    requests = {f"r{i:03d}": request
                for i, request in enumerate(fuzz_requests.random_requests(300, seed=1))}
    results, _ = cc_loader.run_requests(binary, vamp_export, requests)   # raises if it crashed
    loaded = tf.saved_model.load(vamp_export)
    answered = 0
    for name, (signature, inputs) in requests.items():
        if not fuzz_requests.is_valid(signature, inputs):
            assert isinstance(results[name], cc_loader.CppError), name
            assert results[name].code == "INVALID_ARGUMENT", (name, results[name])
            continue
        fuzz_requests.check_answer(signature, inputs, results[name])
        expected = loaded.signatures[signature](**{k: tf.constant(v) for k, v in inputs.items()})
        for key, value in expected.items():
            assert_same_float32_answer(results[name][key], value, f"{name}/{key}")
        answered += 1
    assert answered >= 40, answered


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

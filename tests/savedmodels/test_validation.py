"""Bad requests to exported signatures: each fails with INVALID_ARGUMENT naming the problem."""

import numpy as np
import pytest
import tensorflow as tf

from savedmodels import export
from zoo.models import build_gated_mlp_vae

IMAGE_SHAPE = (4, 4, 1)
LATENT_DIM = 3


@pytest.fixture(scope="module")
def signatures(tmp_path_factory):
    """{likelihood name: the loaded export's signatures}."""
    base = str(tmp_path_factory.mktemp("exports"))
    result = {}
    for likelihood in ("bernoulli", "discretized_logistic"):
        model = build_gated_mlp_vae(IMAGE_SHAPE, latent_dim=LATENT_DIM, hidden_units=(8,),
                                    likelihood=likelihood, seed=1)
        result[likelihood] = tf.saved_model.load(
            export.export_model(model, base, likelihood)).signatures
    return result


def images(*shape, value=1.0, dtype=np.float32):
    return np.full(shape, value, dtype)


GOOD_X = images(2, *IMAGE_SHAPE)
N = lambda n, dtype=tf.int32: tf.constant(n, dtype)           # noqa: E731
SEED = tf.constant(5, tf.int64)
RANK = "encode: x must have rank 4, shape [batch, 4, 4, 1]; got shape "

BAD_REQUESTS = {
    # encode: shapes
    "x_rank_3": ("encode", dict(x=images(4, 4, 1)), RANK + "[4 4 1]"),
    "x_flat": ("encode", dict(x=images(2, 16)), RANK + "[2 16]"),
    "x_rank_5": ("encode", dict(x=images(2, 4, 4, 1, 1)), RANK + "[2 4 4 1 1]"),
    "x_scalar": ("encode", dict(x=images()), RANK + "[]"),
    "x_wrong_height": ("encode", dict(x=images(2, 5, 4, 1)),
                       "encode: x must have shape [batch, 4, 4, 1]; got shape [2 5 4 1]"),
    "x_rgb": ("encode", dict(x=images(2, 4, 4, 3)),
              "encode: x must have shape [batch, 4, 4, 1]; got shape [2 4 4 3]"),
    # encode: values
    "x_nan": ("encode", dict(x=images(2, *IMAGE_SHAPE, value=np.nan)),
              "encode: x holds non-finite values (NaN or infinity)"),
    "x_inf": ("encode", dict(x=images(2, *IMAGE_SHAPE, value=np.inf)),
              "encode: x holds non-finite values"),
    "x_minus_inf": ("encode", dict(x=images(2, *IMAGE_SHAPE, value=-np.inf)),
                    "encode: x holds non-finite values"),
    "x_above_one": ("encode", dict(x=images(2, *IMAGE_SHAPE, value=1.5)),
                    "encode: x must lie in [0, 1]; got values from 1.5 to 1.5"),
    "x_negative": ("encode", dict(x=images(2, *IMAGE_SHAPE, value=-0.25)),
                   "encode: x must lie in [0, 1]; got values from -0.25 to -0.25"),
    "x_pixel_values_0_255": ("encode", dict(x=images(2, *IMAGE_SHAPE, value=255.0)),
                             "encode: x must lie in [0, 1]; got values from 255 to 255"),
    # encode: dtypes, refused by the runtime before the graph runs. (Python's
    # wrapper converts *numpy* arrays to the signature's dtype first.)
    "x_float64": ("encode", dict(x=tf.ones((2,) + IMAGE_SHAPE, tf.float64)),
                  "expected to be a float tensor but is a double tensor"),
    "x_int32": ("encode", dict(x=tf.ones((2,) + IMAGE_SHAPE, tf.int32)),
                "expected to be a float tensor but is a int32 tensor"),
    "x_uint8": ("encode", dict(x=tf.ones((2,) + IMAGE_SHAPE, tf.uint8)),
                "expected to be a float tensor but is a uint8 tensor"),
    "x_string": ("encode", dict(x=tf.constant(["1"])),
                 "expected to be a float tensor but is a string tensor"),
    # encode, decode, log_likelihood: the limits, before any work
    "x_over_max_batch": ("encode", dict(x=images(10_001, *IMAGE_SHAPE)),
                         "encode: x holds 10001 examples; at most 10000 per request (limit "
                         "max_batch)"),
    "z_over_max_batch": ("decode", dict(z=images(10_001, 3)),
                         "decode: z holds 10001 examples; at most 10000 per request"),
    "ll_over_max_batch": ("log_likelihood", dict(x=images(10_001, *IMAGE_SHAPE),
                                                 num_samples=N(1)),
                          "log_likelihood: x holds 10001 examples; at most 10000 per request"),
    "ll_over_max_work": ("log_likelihood", dict(x=images(1001, *IMAGE_SHAPE),
                                                num_samples=N(10_000)),
                         "log_likelihood: 1001 examples x 10000 samples = 10010000 importance "
                         "samples; at most 10000000 per request (limit "
                         "max_log_likelihood_work): send fewer examples per request"),
    # decode
    "z_wrong_dim": ("decode", dict(z=images(2, 4)),
                    "decode: z must have shape [batch, 3]; got shape [2 4]"),
    "z_rank_1": ("decode", dict(z=images(3)),
                 "decode: z must have rank 2, shape [batch, 3]; got shape [3]"),
    "z_nan": ("decode", dict(z=images(2, 3, value=np.nan)),
              "decode: z holds non-finite values"),
    # log_likelihood
    "ll_gray_x_for_bernoulli": (
        "log_likelihood", dict(x=images(2, *IMAGE_SHAPE, value=0.5), num_samples=N(10)),
        "log_likelihood: x must hold binary values, 0 or 1"),
    "ll_nan_x": ("log_likelihood", dict(x=images(2, *IMAGE_SHAPE, value=np.nan),
                                        num_samples=N(10)),
                 "log_likelihood: x holds non-finite values"),
    "ll_zero_samples": ("log_likelihood", dict(x=GOOD_X, num_samples=N(0)),
                        "log_likelihood: num_samples must be between 1 and 10000; got 0"),
    "ll_negative_samples": ("log_likelihood", dict(x=GOOD_X, num_samples=N(-5)),
                            "num_samples must be between 1 and 10000; got -5"),
    "ll_too_many_samples": ("log_likelihood", dict(x=GOOD_X, num_samples=N(10_001)),
                            "num_samples must be between 1 and 10000; got 10001"),
    "ll_samples_not_scalar": ("log_likelihood", dict(x=GOOD_X, num_samples=N([10])),
                              "log_likelihood: num_samples must be a scalar (rank 0); "
                              "got shape [1]"),
    # Python's wrapper refuses this tensor itself, with a TypeError.
    "ll_samples_float": ("log_likelihood", dict(x=GOOD_X, num_samples=N(10.5, tf.float32)),
                         "Can not cast TensorSpec(shape=(), dtype=tf.float32", TypeError),
    # sample
    "sample_zero": ("sample", dict(num_samples=N(0), seed=SEED),
                    "sample: num_samples must be between 1 and 10000; got 0"),
    "sample_too_many": ("sample", dict(num_samples=N(10**6), seed=SEED),
                        "sample: num_samples must be between 1 and 10000; got 1000000"),
    "sample_seed_pair": ("sample", dict(num_samples=N(2), seed=tf.constant([1, 2], tf.int64)),
                         "sample: seed must be a scalar (rank 0); got shape [2]"),
    "sample_seed_int32": ("sample", dict(num_samples=N(2), seed=tf.constant(1, tf.int32)),
                          "expected to be a int64 tensor but is a int32 tensor"),
}


@pytest.mark.parametrize("case", sorted(BAD_REQUESTS))
def test_bad_request_fails_with_a_message_naming_the_problem(case, signatures):
    signature, inputs, message, *error_type = BAD_REQUESTS[case]
    with pytest.raises(error_type[0] if error_type else tf.errors.InvalidArgumentError) as error:
        signatures["bernoulli"][signature](**inputs)
    assert message in str(error.value)


def test_discretized_logistic_exports_accept_gray_levels_only(signatures):
    log_likelihood = signatures["discretized_logistic"]["log_likelihood"]
    levels = np.random.RandomState(0).randint(0, 256, size=(3,) + IMAGE_SHAPE)
    out = log_likelihood(x=(levels / 255.0).astype(np.float32), num_samples=N(5))
    assert np.all(np.isfinite(out["log_likelihood"].numpy()))
    off_grid = (levels / 255.0 + 0.4 / 255.0).clip(0, 1).astype(np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError,
                       match=r"log_likelihood: x must hold gray levels k / 255"):
        log_likelihood(x=off_grid, num_samples=N(5))
    # encode only needs values in [0, 1].
    assert signatures["discretized_logistic"]["encode"](x=off_grid)["z"].shape == (3, 3)


def test_limits_and_empty_batches_are_accepted(signatures):
    bernoulli = signatures["bernoulli"]
    out = bernoulli["sample"](num_samples=N(10_000), seed=SEED)
    assert out["x"].shape == (10_000,) + IMAGE_SHAPE
    out = bernoulli["log_likelihood"](x=GOOD_X[:1], num_samples=N(10_000))
    assert out["log_likelihood"].shape == (1,)
    out = bernoulli["log_likelihood"](x=images(1000, *IMAGE_SHAPE), num_samples=N(10_000))
    assert out["log_likelihood"].shape == (1000,)   # exactly the work limit
    assert bernoulli["encode"](x=images(10_000, *IMAGE_SHAPE))["z"].shape == (10_000, 3)
    assert bernoulli["log_likelihood"](x=GOOD_X, num_samples=N(1))["elbo"].shape == (2,)
    empty = bernoulli["encode"](x=images(0, *IMAGE_SHAPE))
    assert empty["z"].shape == (0, LATENT_DIM)
    assert bernoulli["decode"](z=images(0, LATENT_DIM))["mean"].shape == (0,) + IMAGE_SHAPE


def _rss_mb():
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("VmRSS")) / 1024


def test_fuzzed_requests_get_invalid_argument_or_a_correct_answer_and_leak_nothing(signatures):
    from tests import fuzz_requests
    requests = fuzz_requests.random_requests(300, seed=0)
    bernoulli = signatures["bernoulli"]

    def send_all():
        answered = refused = 0
        for signature, inputs in requests:
            valid = fuzz_requests.is_valid(signature, inputs)
            try:
                outputs = bernoulli[signature](**{k: tf.constant(v) for k, v in inputs.items()})
            except tf.errors.InvalidArgumentError as e:
                assert not valid, (signature, {k: (v.dtype, v.shape) for k, v in inputs.items()},
                                   e.message)
                refused += 1
                continue
            except TypeError as e:   # Python's wrapper cannot cast a tensor of another dtype
                assert not valid and "Can not cast" in str(e), e
                refused += 1
                continue
            assert valid, (signature, {k: (v.dtype, v.shape) for k, v in inputs.items()})
            fuzz_requests.check_answer(signature, inputs, outputs)
            answered += 1
        return answered, refused

    answered, refused = send_all()   # the first pass also builds what later calls reuse
    assert answered >= 40 and refused >= 150, (answered, refused)
    before = _rss_mb()
    assert send_all() == (answered, refused)
    assert _rss_mb() - before < 30, (before, _rss_mb())


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

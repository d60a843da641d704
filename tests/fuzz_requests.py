"""Randomly malformed (and some well-formed) requests to an export's signatures, and what each
must get: the fuzz tests send them through Python's `tf.saved_model.load` and the C++ loader.

A request is `(signature, {input: numpy array})`; `is_valid` says whether the documented
contract (`savedmodels.signatures`, with the default `ServingLimits`) accepts it, for an
export of a Bernoulli model on `[4, 4, 1]` images with `[3]` latents.
"""

import numpy as np

EVENT_SHAPE, LATENT_SHAPE = (4, 4, 1), (3,)
MAX_BATCH, MAX_SAMPLES, MAX_WORK = 10_000, 10_000, 10_000_000
# Batches the requests use: empty, within a slice, over one slice (100), over the work limit
# with many samples, over the batch limit.
BATCHES = (0, 1, 2, 5, 101, 250, 1001, MAX_BATCH + 1)
COUNTS = (-5, 0, 1, 7, 150, MAX_SAMPLES, MAX_SAMPLES + 1, 2**31 - 1)
ARRAY_DTYPES = (np.float32, np.float32, np.float32, np.float64, np.int32, np.uint8)


def _batch_input(rng, event_shape):
    """A tensor meant to be `[batch, *event_shape]`: mostly well shaped, at times not."""
    kind = rng.randint(6)
    if kind == 0:   # another rank
        shape = tuple(rng.randint(0, 5, size=rng.randint(0, 6)))
    elif kind == 1:   # the right rank, one event dimension wrong
        shape = [2, *event_shape]
        shape[1 + rng.randint(len(event_shape))] += 1
        shape = tuple(shape)
    else:
        shape = (int(rng.choice(BATCHES)),) + event_shape
    values = rng.randint(4)
    if values == 0:
        array = rng.rand(*shape) > 0.5                   # binary
    elif values == 1:
        array = rng.rand(*shape)                         # in [0, 1], off the binary support
    elif values == 2:
        array = rng.randn(*shape) * 3                    # any reals
    else:
        array = (np.asarray(rng.rand(*shape)) > 0.5).astype(np.float64)
        if array.size:
            array.flat[rng.randint(array.size)] = rng.choice([np.nan, np.inf, -np.inf, 2.0])
    dtype = ARRAY_DTYPES[rng.randint(len(ARRAY_DTYPES))]
    with np.errstate(invalid="ignore"):   # NaN and infinity cast to integers: any value
        return np.asarray(array).astype(dtype)


def _scalar(rng, dtype, values):
    """A scalar of `dtype` from `values`; at times another dtype or a shape [2]."""
    kind = rng.randint(8)
    if kind == 0:
        return np.asarray([rng.choice(values)] * 2, dtype)
    if kind == 1:
        return np.asarray(rng.choice(values), np.int64 if dtype == np.int32 else np.int32)
    if kind == 2:
        return np.asarray(rng.choice(values), np.float32)
    return np.asarray(rng.choice(values), dtype)


def random_requests(count, seed=0):
    """`count` requests `(signature, inputs)`, the same for the same seed."""
    rng = np.random.RandomState(seed)
    requests = []
    for _ in range(count):
        signature = ("encode", "decode", "log_likelihood", "sample")[rng.randint(4)]
        if signature == "log_likelihood" and rng.rand() < 0.4:   # well formed, to be answered
            batch = int(rng.choice(BATCHES[:-1]))
            inputs = {"x": (rng.rand(batch, *EVENT_SHAPE) > 0.5).astype(np.float32)}
        elif signature in ("encode", "log_likelihood"):
            inputs = {"x": _batch_input(rng, EVENT_SHAPE)}
        elif signature == "decode":
            inputs = {"z": _batch_input(rng, LATENT_SHAPE)}
        else:
            inputs = {"seed": _scalar(rng, np.int64, (0, 7, -3, 2**31 - 1))}
        if signature in ("log_likelihood", "sample"):
            inputs["num_samples"] = _scalar(rng, np.int32, COUNTS)
        requests.append((signature, inputs))
    return requests


def _is_batch(array, event_shape, binary):
    ok = (array.dtype == np.float32 and array.ndim == 1 + len(event_shape)
          and array.shape[1:] == event_shape and array.shape[0] <= MAX_BATCH
          and np.all(np.isfinite(array)))
    if ok and binary:
        ok = bool(np.all((array == 0) | (array == 1)))
    elif ok and event_shape == EVENT_SHAPE:
        ok = bool(np.all((array >= 0) & (array <= 1)))
    return ok


def _is_count(array, dtype, maximum):
    return array.dtype == dtype and array.shape == () and 1 <= array <= maximum


def is_valid(signature, inputs):
    """Whether the contract accepts the request."""
    if signature == "encode":
        return _is_batch(inputs["x"], EVENT_SHAPE, binary=False)
    if signature == "decode":
        return _is_batch(inputs["z"], LATENT_SHAPE, binary=False)
    if signature == "log_likelihood":
        x, n = inputs["x"], inputs["num_samples"]
        return (_is_batch(x, EVENT_SHAPE, binary=True) and _is_count(n, np.int32, MAX_SAMPLES)
                and x.shape[0] * int(n) <= MAX_WORK)
    seed = inputs["seed"]
    return (_is_count(inputs["num_samples"], np.int32, MAX_SAMPLES)
            and seed.dtype == np.int64 and seed.shape == ())


def check_answer(signature, inputs, outputs):
    """Asserts that a valid request's outputs have the documented shapes and values."""
    outputs = {k: np.asarray(v) for k, v in outputs.items()}
    if signature == "sample":
        n = int(inputs["num_samples"])
        assert outputs["x"].shape == (n, *EVENT_SHAPE) and outputs["z"].shape == (n, 3)
        assert np.all((outputs["x"] == 0) | (outputs["x"] == 1))
    elif signature == "log_likelihood":
        n = inputs["x"].shape[0]
        assert outputs["log_likelihood"].shape == outputs["elbo"].shape == (n,)
        assert np.all(outputs["log_likelihood"] >= outputs["elbo"] - 1e-4)
        assert np.all(outputs["log_likelihood"] <= 0)
    elif signature == "encode":
        n = inputs["x"].shape[0]
        assert {k: v.shape for k, v in outputs.items()} == {k: (n, 3) for k in outputs}
        assert np.all(outputs["scale"] > 0)
    else:
        assert outputs["mean"].shape == (inputs["z"].shape[0], *EVENT_SHAPE)
    for value in outputs.values():
        assert np.all(np.isfinite(value))

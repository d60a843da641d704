"""The serving signatures of a zoo model: encode, decode, log_likelihood, sample.

They are written against the model contract (`encode`, `decode_features`,
`importance_estimates`, `sample`, `event_shape`, `latent_shape`, `likelihood`),
so every model the zoo trains exports the same way. Every signature is
deterministic: randomness comes from stateless seeds, fixed where the signature
takes none, so a request always gets the same answer.
"""

import dataclasses

import tensorflow as tf

from savedmodels.validation import checked_batch, checked_count, checked_scalar, checked_work

__all__ = ["SERVING_DEFAULT", "ServingLimits", "in_slices", "serving_functions", "signature_docs"]

# `encode` takes a single batched input, so it also answers TF Serving's row
# ("instances") requests and the classify/predict defaults of generic clients.
SERVING_DEFAULT = "encode"


@dataclasses.dataclass(frozen=True)
class ServingLimits:
    """Bounds and fixed settings of the exported signatures.

    Every signature processes its batch `batch_slice` examples at a time inside
    the graph, so that its peak memory is that of a `batch_slice` request
    whatever the batch, and refuses, before any work, a request over the
    limits below with INVALID_ARGUMENT naming the limit.

    Attributes:
        max_batch: the most examples (images for `encode` and `log_likelihood`,
            latents for `decode`) per request.
        max_log_likelihood_samples: the largest `num_samples` of `log_likelihood`.
        max_log_likelihood_work: the most importance samples per request,
            examples x `num_samples` (its time grows with it: about 30 s per
            million for the gated MLP VAE on 2 cores).
        max_sample_size: the largest `num_samples` of `sample`.
        batch_slice: examples evaluated together.
        chunk_size: importance samples evaluated together by `log_likelihood`.
        encode_seed: the stateless seed of `encode`'s posterior sample z.
        log_likelihood_seed: the stateless seed of `log_likelihood`'s samples.
    Slice i of a request draws with the seed `[seed, i]`, so a request of at
    most `batch_slice` examples gets the numbers of the unsliced model call.
    """

    max_batch: int = 10_000
    max_log_likelihood_samples: int = 10_000
    max_log_likelihood_work: int = 10_000_000
    max_sample_size: int = 10_000
    batch_slice: int = 100
    chunk_size: int = 100
    encode_seed: int = 0
    log_likelihood_seed: int = 0


def _data_checks(model, support):
    likelihood = model.likelihood
    return dict(event_shape=model.event_shape, value_range=likelihood.value_range,
                support=(likelihood.on_support, likelihood.support_description)
                if support else None)


def _slice_seed(seed, index):
    """The stateless seed `[seed, index]` of slice `index` (an int or int64 scalar `seed`;
    slice 0's is the one an int seed stands for)."""
    return tf.stack([tf.cast(seed, tf.int64), tf.cast(index, tf.int64)])


def in_slices(fn, x, size, output_specs):
    """`fn(x[i * size:(i + 1) * size], i)` for every slice i, outputs concatenated.

    Peak memory is that of one slice's `fn`, plus the inputs and outputs.

    Args:
        fn: a slice `[n, ...]` and its index -> a dict of `[n, ...]` tensors.
        x: `[batch, ...]` (an empty batch gives empty outputs).
        size: examples per slice.
        output_specs: `{key: tf.TensorSpec}` of `fn`'s outputs (the batch
            dimension is ignored).
    """
    num_slices = (tf.shape(x)[0] + size - 1) // size
    arrays = {key: tf.TensorArray(spec.dtype, size=num_slices, infer_shape=False,
                                  element_shape=tf.TensorShape([None]).concatenate(
                                      spec.shape[1:]))
              for key, spec in output_specs.items()}

    def body(i, arrays):
        part = fn(x[i * size:(i + 1) * size], i)
        return i + 1, {key: array.write(i, part[key]) for key, array in arrays.items()}

    _, arrays = tf.while_loop(lambda i, _: i < num_slices, body, (tf.constant(0), arrays))
    return {key: array.concat() for key, array in arrays.items()}


def _specs(outputs):
    return {key: tf.TensorSpec(value.shape, value.dtype) for key, value in outputs.items()}


def serving_functions(model, limits=ServingLimits()):
    """The signatures as `{name: (function, input_signature)}`, ready for `ExportArchive`.

    Inputs are declared with unknown shapes and checked inside (see
    `savedmodels.validation`); dtypes are x, z: float32; num_samples: int32;
    seed: int64.
    """
    any_shape = lambda dtype, name: tf.TensorSpec(None, dtype, name=name)
    size = limits.batch_slice

    def encode_slice(x, i):
        return model.encode(x, seed=_slice_seed(limits.encode_seed, i))

    def decode_slice(z, i):
        features = model.decode_features(z)
        return {"mean": model.likelihood.mean(features), **model.likelihood.parameters(features)}

    def estimates_slice(num_samples):
        return lambda x, i: model.importance_estimates(
            x, num_samples, chunk_size=limits.chunk_size,
            seed=_slice_seed(limits.log_likelihood_seed, i))

    def sample_slice(seed):
        return lambda indices, i: model.sample(tf.shape(indices)[0], seed=_slice_seed(seed, i))

    # The outputs' dtypes and trailing shapes, from one example (eagerly, once).
    x0, z0 = tf.zeros((1, *model.event_shape)), tf.zeros((1, *model.latent_shape))
    specs = {"encode": _specs(encode_slice(x0, 0)), "decode": _specs(decode_slice(z0, 0)),
             "log_likelihood": _specs(estimates_slice(1)(x0, 0)),
             "sample": _specs(model.sample(1, seed=0))}

    def encode(x):
        x = checked_batch(x, "x", "encode", max_batch=limits.max_batch,
                          **_data_checks(model, support=False))
        return in_slices(encode_slice, x, size, specs["encode"])

    def decode(z):
        z = checked_batch(z, "z", "decode", model.latent_shape, max_batch=limits.max_batch)
        return in_slices(decode_slice, z, size, specs["decode"])

    def log_likelihood(x, num_samples):
        x = checked_batch(x, "x", "log_likelihood", max_batch=limits.max_batch,
                          **_data_checks(model, support=True))
        num_samples = checked_count(num_samples, "num_samples", "log_likelihood",
                                    limits.max_log_likelihood_samples)
        num_samples = checked_work(tf.shape(x)[0], num_samples, "log_likelihood",
                                   limits.max_log_likelihood_work)
        return in_slices(estimates_slice(num_samples), x, size, specs["log_likelihood"])

    def sample(num_samples, seed):
        num_samples = checked_count(num_samples, "num_samples", "sample",
                                    limits.max_sample_size)
        seed = checked_scalar(seed, "seed", "sample")
        return in_slices(sample_slice(seed), tf.range(num_samples), size, specs["sample"])

    return {
        "encode": (encode, [any_shape(tf.float32, "x")]),
        "decode": (decode, [any_shape(tf.float32, "z")]),
        "log_likelihood": (log_likelihood, [any_shape(tf.float32, "x"),
                                            any_shape(tf.int32, "num_samples")]),
        "sample": (sample, [any_shape(tf.int32, "num_samples"), any_shape(tf.int64, "seed")]),
    }


def signature_docs(model, limits=ServingLimits()):
    """What each signature takes and returns, for the export's metadata and `list()`."""
    likelihood = model.likelihood
    shape = lambda lead, dims: "[" + ", ".join([lead, *map(str, dims)]) + "]"
    batch = lambda dims: shape("batch", dims)
    samples = lambda dims: shape("num_samples", dims)
    per_request = f"at most {limits.max_batch} per request"
    x_range = ("any finite value" if likelihood.value_range is None
               else "values in [{:g}, {:g}]".format(*likelihood.value_range))
    return {
        "encode": {
            "inputs": {"x": f"float32 {batch(model.event_shape)}, {x_range}, {per_request}"},
            "outputs": {"loc": f"float32 {batch(model.latent_shape)}: mean of q(z|x)",
                        "scale": f"float32 {batch(model.latent_shape)}: std of q(z|x)",
                        "z": f"float32 {batch(model.latent_shape)}: one sample of q(z|x), "
                             f"stateless seed {limits.encode_seed}"}},
        "decode": {
            "inputs": {"z": f"float32 {batch(model.latent_shape)}, finite, {per_request}"},
            "outputs": {"mean": f"float32 {batch(model.event_shape)}: E[x | z]",
                        "...": f"the parameters of p(x|z) ({type(likelihood).__name__})"}},
        "log_likelihood": {
            "inputs": {"x": f"float32 {batch(model.event_shape)}, "
                            f"{likelihood.support_description}, {per_request}",
                       "num_samples": "int32 scalar, importance samples, 1 to "
                                      f"{limits.max_log_likelihood_samples}, and batch x "
                                      f"num_samples at most {limits.max_log_likelihood_work}"},
            "outputs": {"log_likelihood": "float32 [batch]: IS estimate of log p(x), nats",
                        "elbo": "float32 [batch]: ELBO from the same samples, nats"}},
        "sample": {
            "inputs": {"num_samples": f"int32 scalar, 1 to {limits.max_sample_size}",
                       "seed": "int64 scalar: the same seed gives the same samples"},
            "outputs": {"x": f"float32 {samples(model.event_shape)}: samples of p(x|z)",
                        "z": f"float32 {samples(model.latent_shape)}: samples of the prior",
                        "mean": f"float32 {samples(model.event_shape)}: E[x | z]"}},
        "serving_default": {"same as": SERVING_DEFAULT},
    }

"""The serving signatures of a zoo model: encode, decode, log_likelihood, sample.

They are written against the model contract (`encode`, `decode_features`,
`importance_estimates`, `sample`, `event_shape`, `latent_shape`, `likelihood`),
so every model the zoo trains exports the same way. Every signature is
deterministic: randomness comes from stateless seeds, fixed where the signature
takes none, so a request always gets the same answer.
"""

import dataclasses

import tensorflow as tf

from savedmodels.validation import checked_batch, checked_count, checked_scalar

__all__ = ["SERVING_DEFAULT", "ServingLimits", "serving_functions", "signature_docs"]

# `encode` takes a single batched input, so it also answers TF Serving's row
# ("instances") requests and the classify/predict defaults of generic clients.
SERVING_DEFAULT = "encode"


@dataclasses.dataclass(frozen=True)
class ServingLimits:
    """Bounds and fixed settings of the exported signatures.

    Attributes:
        max_log_likelihood_samples: the largest `num_samples` of `log_likelihood`
            (its cost grows with batch x num_samples decoder passes).
        max_sample_size: the largest `num_samples` of `sample`.
        chunk_size: importance samples evaluated together by `log_likelihood`.
        encode_seed: the stateless seed of `encode`'s posterior sample z.
        log_likelihood_seed: the stateless seed of `log_likelihood`'s samples.
    """

    max_log_likelihood_samples: int = 10_000
    max_sample_size: int = 10_000
    chunk_size: int = 100
    encode_seed: int = 0
    log_likelihood_seed: int = 0


def _data_checks(model, support):
    likelihood = model.likelihood
    return dict(event_shape=model.event_shape, value_range=likelihood.value_range,
                support=(likelihood.on_support, likelihood.support_description)
                if support else None)


def serving_functions(model, limits=ServingLimits()):
    """The signatures as `{name: (function, input_signature)}`, ready for `ExportArchive`.

    Inputs are declared with unknown shapes and checked inside (see
    `savedmodels.validation`); dtypes are x, z: float32; num_samples: int32;
    seed: int64.
    """
    any_shape = lambda dtype, name: tf.TensorSpec(None, dtype, name=name)

    def encode(x):
        x = checked_batch(x, "x", "encode", **_data_checks(model, support=False))
        return model.encode(x, seed=limits.encode_seed)

    def decode(z):
        z = checked_batch(z, "z", "decode", model.latent_shape)
        features = model.decode_features(z)
        return {"mean": model.likelihood.mean(features),
                **model.likelihood.parameters(features)}

    def log_likelihood(x, num_samples):
        x = checked_batch(x, "x", "log_likelihood", **_data_checks(model, support=True))
        num_samples = checked_count(num_samples, "num_samples", "log_likelihood",
                                    limits.max_log_likelihood_samples)
        return model.importance_estimates(x, num_samples, chunk_size=limits.chunk_size,
                                          seed=limits.log_likelihood_seed)

    def sample(num_samples, seed):
        num_samples = checked_count(num_samples, "num_samples", "sample",
                                    limits.max_sample_size)
        seed = checked_scalar(seed, "seed", "sample")
        return model.sample(num_samples, seed=tf.stack([seed, tf.zeros_like(seed)]))

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
    x_range = ("any finite value" if likelihood.value_range is None
               else "values in [{:g}, {:g}]".format(*likelihood.value_range))
    return {
        "encode": {
            "inputs": {"x": f"float32 {batch(model.event_shape)}, {x_range}"},
            "outputs": {"loc": f"float32 {batch(model.latent_shape)}: mean of q(z|x)",
                        "scale": f"float32 {batch(model.latent_shape)}: std of q(z|x)",
                        "z": f"float32 {batch(model.latent_shape)}: one sample of q(z|x), "
                             f"stateless seed {limits.encode_seed}"}},
        "decode": {
            "inputs": {"z": f"float32 {batch(model.latent_shape)}, finite"},
            "outputs": {"mean": f"float32 {batch(model.event_shape)}: E[x | z]",
                        "...": f"the parameters of p(x|z) ({type(likelihood).__name__})"}},
        "log_likelihood": {
            "inputs": {"x": f"float32 {batch(model.event_shape)}, "
                            f"{likelihood.support_description}",
                       "num_samples": "int32 scalar, importance samples, 1 to "
                                      f"{limits.max_log_likelihood_samples}"},
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

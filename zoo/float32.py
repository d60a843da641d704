"""The zoo's layers and models compute in float32, whatever Keras's global dtype policy is.

The papers' figures are float32 figures: an importance-sampled log-likelihood
is a log-sum-exp of 5,000 log weights of hundreds of nats each, which 16-bit
floats (3 significant digits in bfloat16, a largest value of 65,504 in
float16) cannot carry. So every zoo layer pins its dtype policy to float32 and
passes it to the Keras layers it creates (`dtype=self.dtype_policy`). A user
who runs `keras.mixed_precision.set_global_policy("mixed_float16")` (or
"mixed_bfloat16") for their own model can still build, load, train and
evaluate the zoo's models and priors: they compute exactly as under "float32",
and Keras casts the caller's 16-bit inputs to float32 at each zoo layer.

The one place 16 bits enter is a trainer's choice for speed, never an answer:
a training step traced inside `zoo.networks.gated_conv.computing_in("bfloat16")`
(`TrainConfig.gated_conv_dtype`) convolves in bfloat16; the weights, the
losses and every evaluation stay float32.
"""

import keras

__all__ = ["Float32Layer", "float32_kwargs"]

FLOAT32 = "float32"


def float32_kwargs(kwargs, owner):
    """A zoo layer's or model's constructor `kwargs` with its dtype policy pinned to float32.

    Args:
        kwargs: the keyword arguments for `keras.layers.Layer.__init__` (or
            `keras.Model`'s); "dtype" None or absent means float32, whatever
            the global policy; a saved config's float32 policy passes as is.
        owner: the class's name, for the error message.

    Raises:
        ValueError: a "dtype" that does not compute and keep variables in float32.
    """
    dtype = kwargs.get("dtype")
    if dtype is None:
        return {**kwargs, "dtype": FLOAT32}
    policy = keras.dtype_policies.get(dtype)
    if policy.compute_dtype != FLOAT32 or policy.variable_dtype != FLOAT32:
        raise ValueError(
            f"{owner} computes in float32 (its densities need float32's range and digits); "
            f"got dtype policy {policy.name!r}. Leave dtype unset: the zoo's layers stay "
            f"float32 under any global policy, and Keras casts 16-bit inputs to float32.")
    return kwargs


class Float32Layer(keras.layers.Layer):
    """A Keras layer whose dtype policy is float32 (see the module docstring).

    Subclasses pass `dtype=self.dtype_policy` to the Keras layers they create.
    """

    def __init__(self, **kwargs):
        super().__init__(**float32_kwargs(kwargs, type(self).__name__))

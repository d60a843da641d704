"""Building composite layers: the default initializer, and sub-layers that may already be built."""

import keras

__all__ = ["ensure_built", "he_normal", "own_initializer"]


def he_normal():
    """The VampPrior code's weight initializer: N(0, 2 / fan_in), untruncated.

    (Keras's "he_normal" draws from a truncated normal.)
    """
    return keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal")


def own_initializer(initializer):
    """A new instance of `initializer`, for one weight of a layer that has several.

    Keras fixes an unseeded initializer's seed when the instance is made, so one
    instance handed to two layers draws the same values for both: a gated layer's
    h and g kernels, a posterior's mean and log-variance heads would start equal,
    where the papers' code draws each independently. A seeded initializer keeps
    its seed (Keras's meaning: the same values wherever it is used).
    """
    return type(initializer).from_config(initializer.get_config())


def ensure_built(layer, input_shape):
    """Builds `layer` for `input_shape` unless it is built already.

    Keras deserialization builds each serialized sub-layer from its own build
    config before the parent's `build` runs; building it again would try to
    create its weights twice.
    """
    if not layer.built:
        layer.build(tuple(input_shape))

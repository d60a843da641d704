"""Building composite layers: the default initializer, and sub-layers that may already be built."""

import keras

__all__ = ["ensure_built", "he_normal"]


def he_normal():
    """The VampPrior code's weight initializer: N(0, 2 / fan_in), untruncated.

    (Keras's "he_normal" draws from a truncated normal.)
    """
    return keras.initializers.VarianceScaling(2.0, "fan_in", "untruncated_normal")


def ensure_built(layer, input_shape):
    """Builds `layer` for `input_shape` unless it is built already.

    Keras deserialization builds each serialized sub-layer from its own build
    config before the parent's `build` runs; building it again would try to
    create its weights twice.
    """
    if not layer.built:
        layer.build(tuple(input_shape))

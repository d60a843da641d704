"""Building composite layers whose sub-layers may already be built."""

__all__ = ["ensure_built"]


def ensure_built(layer, input_shape):
    """Builds `layer` for `input_shape` unless it is built already.

    Keras deserialization builds each serialized sub-layer from its own build
    config before the parent's `build` runs; building it again would try to
    create its weights twice.
    """
    if not layer.built:
        layer.build(tuple(input_shape))

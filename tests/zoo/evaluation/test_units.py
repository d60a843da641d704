"""Unit conversions."""

import math

import pytest

from zoo.evaluation import nats_to_bits_per_dim


def test_nats_to_bits_per_dim():
    assert nats_to_bits_per_dim(784 * math.log(2.0), 784) == pytest.approx(1.0)
    assert nats_to_bits_per_dim(88.56, 784) == pytest.approx(0.16297, rel=1e-4)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

"""Unit conversions: nats per example <-> bits per dimension."""

import math

__all__ = ["nats_to_bits_per_dim"]


def nats_to_bits_per_dim(nats_per_example, num_dims):
    """bits/dim = nats / (num_dims * ln 2); the sign is kept (pass -log p for NLL)."""
    return nats_per_example / (num_dims * math.log(2.0))

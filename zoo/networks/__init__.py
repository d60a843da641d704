"""Encoder and decoder networks."""

from zoo.networks.gated_dense import GatedDense
from zoo.networks.gated_mlp import GatedMLP

__all__ = ["GatedDense", "GatedMLP"]

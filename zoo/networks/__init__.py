"""Encoder and decoder networks."""

from zoo.networks.gated_dense import GatedDense
from zoo.networks.gated_mlp import GatedMLP
from zoo.networks.joint_gated_mlp import JointGatedMLP

__all__ = ["GatedDense", "GatedMLP", "JointGatedMLP"]

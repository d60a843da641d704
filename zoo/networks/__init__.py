"""Encoder and decoder networks."""

from zoo.networks.gated_conv import GatedConv2D, GatedConvNet
from zoo.networks.gated_dense import GatedDense
from zoo.networks.gated_mlp import GatedMLP
from zoo.networks.joint_gated_mlp import JointGatedMLP
from zoo.networks.mlp import MLP
from zoo.networks.residual_mlp import ResidualMLP
from zoo.networks.resnet import ConvBlock, ResidualBlock, ResNetDecoder, ResNetEncoder
from zoo.networks.sequence import Sequence, ToImage

__all__ = ["ConvBlock", "GatedConv2D", "GatedConvNet", "GatedDense", "GatedMLP", "JointGatedMLP",
           "MLP", "ResNetDecoder", "ResNetEncoder", "ResidualBlock", "ResidualMLP", "Sequence",
           "ToImage"]

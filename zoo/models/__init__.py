"""Models (`VAE`, `HierarchicalVAE`) and the builders of the named architectures.

Importing it registers every zoo layer class for `.keras` loading, the networks
included (a shipped NCP-VAE's classifier is a `ResidualMLP` no builder uses).
"""

from zoo import networks  # noqa: F401  (registers the network classes)
from zoo.models.elbo_terms import ElboTerms
from zoo.models.gated_conv_hvae import build_gated_conv_hvae
from zoo.models.gated_mlp_hvae import build_gated_mlp_hvae
from zoo.models.gated_mlp_vae import build_gated_mlp_vae
from zoo.models.hierarchical_vae import HierarchicalVAE
from zoo.models.mlp_vae import build_mlp_vae
from zoo.models.model_config import ARCHITECTURES, ModelConfig, build_model
from zoo.models.noise_contrastive_estimation import NoiseContrastiveEstimation
from zoo.models.resnet_vae import build_resnet_vae
from zoo.models.vae import VAE

__all__ = ["ARCHITECTURES", "ElboTerms", "HierarchicalVAE", "ModelConfig",
           "NoiseContrastiveEstimation", "VAE", "build_gated_conv_hvae", "build_gated_mlp_hvae",
           "build_gated_mlp_vae", "build_mlp_vae", "build_model", "build_resnet_vae"]

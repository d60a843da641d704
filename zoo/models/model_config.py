"""Typed model configuration and the one place models are built from it."""

import dataclasses
from typing import Optional, Tuple

from zoo.models.gated_mlp_vae import build_gated_mlp_vae
from zoo.registry import Registry

__all__ = ["ARCHITECTURES", "ModelConfig", "build_model"]

ARCHITECTURES = Registry("architecture", hint="import zoo.models")
ARCHITECTURES.register("gated_mlp")(build_gated_mlp_vae)


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """What `build_model` needs besides the data shape.

    Attributes:
        architecture: a name in `ARCHITECTURES` (a builder function).
        latent_dim: latent units per group.
        hidden_units: widths of the hidden layers.
        prior: a name in `zoo.priors.PRIORS`.
        likelihood: a name in `zoo.likelihoods.LIKELIHOODS`.
        log_var_range: clip of the posterior log-variance (None: no clip).
    """

    architecture: str = "gated_mlp"
    latent_dim: int = 40
    hidden_units: Tuple[int, ...] = (300, 300)
    prior: str = "standard"
    likelihood: str = "bernoulli"
    log_var_range: Optional[Tuple[float, float]] = (-6.0, 2.0)


def build_model(config, input_shape, seed=None):
    """Builds the model `config` describes for data of shape `input_shape`."""
    builder = ARCHITECTURES.get(config.architecture)
    return builder(input_shape=tuple(input_shape), latent_dim=config.latent_dim,
                   hidden_units=tuple(config.hidden_units), prior=config.prior,
                   likelihood=config.likelihood,
                   log_var_range=config.log_var_range, seed=seed)

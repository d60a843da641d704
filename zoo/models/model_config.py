"""Typed model configuration and the one place models are built from it."""

import dataclasses
import functools
from typing import Any, Optional, Tuple

from zoo import posteriors, priors
from zoo.errors import ImageShapeError
from zoo.models.gated_conv_hvae import build_gated_conv_hvae
from zoo.models.gated_mlp_hvae import build_gated_mlp_hvae
from zoo.models.gated_mlp_vae import build_gated_mlp_vae
from zoo.models.mlp_vae import build_mlp_vae
from zoo.models.resnet_vae import build_resnet_vae
from zoo.registry import Registry

__all__ = ["ARCHITECTURES", "ModelConfig", "build_model"]

ARCHITECTURES = Registry("architecture", hint="import zoo.models")
ARCHITECTURES.register("gated_mlp")(build_gated_mlp_vae)
ARCHITECTURES.register("gated_mlp_hvae")(build_gated_mlp_hvae)
ARCHITECTURES.register("tanh_mlp")(functools.partial(build_mlp_vae, activation="tanh"))
ARCHITECTURES.register("relu_mlp")(functools.partial(build_mlp_vae, activation="relu"))
ARCHITECTURES.register("gated_conv_hvae")(build_gated_conv_hvae)
# Xu et al.'s ResnetVAE (leaky ReLU, as their decoder) and ConvVAE (the same without the residual
# connections), the IAF paper's / VLAE's ResNet VAE (ELU), and LED's ResConv (three strided
# blocks, a dense layer of 450, ELU).
ARCHITECTURES.register("resnet")(build_resnet_vae)
ARCHITECTURES.register("conv")(functools.partial(build_resnet_vae, residual=False))
ARCHITECTURES.register("resnet_elu")(functools.partial(build_resnet_vae, activation="elu"))
ARCHITECTURES.register("resconv")(functools.partial(
    build_resnet_vae, layout="strided", activation="elu", dense_units=(450,)))


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    """What `build_model` needs besides the data shape.

    Attributes:
        architecture: a name in `ARCHITECTURES` (a builder function).
        latent_dim: latent units per group (z1 and z2 alike in the HVAE).
        hidden_units: widths of the hidden layers.
        prior: a name in `zoo.priors.PRIORS`.
        prior_config: that prior's typed config; None becomes its defaults, so
            two configs of the same model compare equal.
        likelihood: a name in `zoo.likelihoods.LIKELIHOODS`.
        log_var_range: clip of the posterior log-variance (None: no clip).
        posterior: a name in `zoo.posteriors.POSTERIORS`.
        posterior_config: that posterior's typed config (None: its defaults).
    """

    architecture: str = "gated_mlp"
    latent_dim: int = 40
    hidden_units: Tuple[int, ...] = (300, 300)
    prior: str = "standard"
    prior_config: Any = None
    likelihood: str = "bernoulli"
    log_var_range: Optional[Tuple[float, float]] = (-6.0, 2.0)
    posterior: str = "gaussian"
    posterior_config: Any = None

    def __post_init__(self):
        config_class = priors.PRIORS.get(self.prior).config_class
        if self.prior_config is None:
            object.__setattr__(self, "prior_config", config_class())
        elif isinstance(self.prior_config, dict):
            object.__setattr__(self, "prior_config",
                               priors.prior_config_from_dict(self.prior, self.prior_config))
        elif not isinstance(self.prior_config, config_class):
            raise TypeError(f"Prior {self.prior!r} takes a {config_class.__name__}; "
                            f"got {type(self.prior_config).__name__}.")
        posterior_class = posteriors.POSTERIORS.get(self.posterior).config_class
        if self.posterior_config is None:
            object.__setattr__(self, "posterior_config", posterior_class())
        elif isinstance(self.posterior_config, dict):
            object.__setattr__(self, "posterior_config", posteriors.posterior_config_from_dict(
                self.posterior, self.posterior_config))
        elif not isinstance(self.posterior_config, posterior_class):
            raise TypeError(f"Posterior {self.posterior!r} takes a {posterior_class.__name__}; "
                            f"got {type(self.posterior_config).__name__}.")


def build_model(config, input_shape, seed=None):
    """Builds the model `config` describes for data of shape `input_shape` `(H, W, C)`.

    Raises:
        ImageShapeError: the architecture or the likelihood cannot take that shape; the
            message names the architecture, the shape and the constraint.
    """
    builder = ARCHITECTURES.get(config.architecture)
    try:
        return _build(builder, config, input_shape, seed)
    except ImageShapeError as e:
        shape = " x ".join(str(d) for d in input_shape)
        raise ImageShapeError(f"{config.architecture} with the {config.likelihood} likelihood "
                              f"on {shape} images: {e}") from None


def _build(builder, config, input_shape, seed):
    return builder(input_shape=tuple(input_shape), latent_dim=config.latent_dim,
                   hidden_units=tuple(config.hidden_units), prior=config.prior,
                   prior_config=config.prior_config,
                   likelihood=config.likelihood,
                   log_var_range=config.log_var_range, posterior=config.posterior,
                   posterior_config=config.posterior_config, seed=seed)

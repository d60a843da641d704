"""Priors p(z): Keras layers with `log_prob(z)` and `sample(n)`.

`PRIORS` maps a short name to a `PriorSpec`: the layer class and the typed
config (a frozen dataclass) it is built from. `build_prior` is the one place
a prior is built from a name and a config.

`NoiseContrastivePrior` is not in `PRIORS`: it wraps a trained base prior and
a classifier (stage 2 of NCP-VAE, `trainers.train_ncp`).
"""

import dataclasses
from typing import Optional

from zoo.priors.flow_prior import FlowPrior
from zoo.priors.masked_autoregressive_flow import MAFPrior, MAFPriorConfig
from zoo.priors.mixture_of_gaussians import MixtureOfGaussiansPrior, MixtureOfGaussiansPriorConfig
from zoo.priors.noise_contrastive import NoiseContrastivePrior
from zoo.priors.noise_contrastive_conditional import NoiseContrastiveConditional
from zoo.priors.prior import Prior
from zoo.priors.realnvp import RealNVPPrior, RealNVPPriorConfig
from zoo.priors.standard_normal import StandardNormalPrior
from zoo.priors.vamp import VampPrior, VampPriorConfig
from zoo.registry import Registry, dataclass_from_dict

__all__ = ["PRIORS", "FlowPrior", "MAFPrior", "MAFPriorConfig", "MixtureOfGaussiansPrior",
           "MixtureOfGaussiansPriorConfig", "NoiseContrastiveConditional",
           "NoiseContrastivePrior", "Prior", "PriorSpec", "RealNVPPrior",
           "RealNVPPriorConfig", "StandardNormalPrior", "StandardNormalPriorConfig",
           "VampPrior", "VampPriorConfig", "build_prior", "prior_config_from_dict"]


@dataclasses.dataclass(frozen=True)
class StandardNormalPriorConfig:
    """The standard normal prior has no options."""


@dataclasses.dataclass(frozen=True)
class PriorSpec:
    """How a registered prior is built.

    Attributes:
        layer_class: the `Prior` subclass; its constructor takes
            `latent_shape`, the config's fields and Keras layer kwargs.
        config_class: the frozen dataclass of its options.
        needs_input_shape: the constructor also takes `pseudo_input_shape`,
            the shape of one data example (VampPrior).
    """

    layer_class: type
    config_class: type
    needs_input_shape: bool = False


PRIORS = Registry("prior", hint="import zoo.priors")
PRIORS.register("standard")(PriorSpec(StandardNormalPrior, StandardNormalPriorConfig))
PRIORS.register("mog")(PriorSpec(MixtureOfGaussiansPrior, MixtureOfGaussiansPriorConfig))
PRIORS.register("vamp")(PriorSpec(VampPrior, VampPriorConfig, needs_input_shape=True))
PRIORS.register("realnvp")(PriorSpec(RealNVPPrior, RealNVPPriorConfig))
PRIORS.register("maf")(PriorSpec(MAFPrior, MAFPriorConfig))


def build_prior(prior_name, latent_shape, config=None, input_shape: Optional[tuple] = None,
                **layer_kwargs):
    """Builds the prior registered as `prior_name` over `latent_shape`.

    Args:
        prior_name: a name in `PRIORS`.
        latent_shape: e.g. `(40,)`.
        config: an instance of the prior's config class (None: its defaults).
        input_shape: shape of one data example; required by priors that
            read data (VampPrior pseudo-inputs).
        **layer_kwargs: Keras layer arguments (`name`, `seed`, `dtype`).
    """
    spec = PRIORS.get(prior_name)
    config = spec.config_class() if config is None else config
    if not isinstance(config, spec.config_class):
        raise TypeError(f"Prior {prior_name!r} takes a {spec.config_class.__name__}; "
                        f"got {type(config).__name__}.")
    options = dataclasses.asdict(config)
    if spec.needs_input_shape:
        if input_shape is None:
            raise ValueError(f"Prior {prior_name!r} needs the data's input_shape.")
        options["pseudo_input_shape"] = tuple(input_shape)
    return spec.layer_class(latent_shape=latent_shape, **options, **layer_kwargs)


def prior_config_from_dict(prior_name, options):
    """The typed config of `prior_name` from a dict (e.g. parsed JSON); lists become tuples."""
    return dataclass_from_dict(PRIORS.get(prior_name).config_class, options,
                               f"prior {prior_name!r}")

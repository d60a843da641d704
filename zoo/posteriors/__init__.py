"""Variational posteriors q(z | x).

Contract: `params(features) -> (loc, scale)` of the diagonal Gaussian (a flow
posterior's base), `sample_and_log_prob(features, num_samples) -> (z [S, batch, ...],
log_q [S, batch])`. `POSTERIORS` maps a name to a `PosteriorSpec`; `build_posterior`
is the one place a posterior is built from a name and a config.
"""

import dataclasses

from zoo.posteriors.diagonal_gaussian import DiagonalGaussianPosterior
from zoo.posteriors.flow_posterior import (
    FlowPosterior,
    IAFPosteriorConfig,
    RealNVPPosteriorConfig,
    iaf_posterior,
    realnvp_posterior,
)
from zoo.posteriors.iaf_step import IAFStep
from zoo.registry import Registry, dataclass_from_dict

__all__ = ["POSTERIORS", "DiagonalGaussianPosterior", "DiagonalGaussianPosteriorConfig",
           "FlowPosterior", "IAFPosteriorConfig", "IAFStep", "PosteriorSpec",
           "RealNVPPosteriorConfig", "build_posterior", "posterior_config_from_dict"]


@dataclasses.dataclass(frozen=True)
class DiagonalGaussianPosteriorConfig:
    """The diagonal Gaussian has no options beyond the model's `log_var_range`."""


@dataclasses.dataclass(frozen=True)
class PosteriorSpec:
    """A builder `(latent_dim, config, seed=, log_var_range=, name=) -> posterior`, its config."""

    builder: object
    config_class: type


def _gaussian(latent_dim, config, seed=None, **kwargs):
    del config
    return DiagonalGaussianPosterior(latent_dim, seed=seed, **kwargs)


POSTERIORS = Registry("posterior", hint="import zoo.posteriors")
POSTERIORS.register("gaussian")(PosteriorSpec(_gaussian, DiagonalGaussianPosteriorConfig))
POSTERIORS.register("realnvp")(PosteriorSpec(realnvp_posterior, RealNVPPosteriorConfig))
POSTERIORS.register("iaf")(PosteriorSpec(iaf_posterior, IAFPosteriorConfig))


def build_posterior(posterior_name, latent_dim, config=None, **kwargs):
    """The posterior registered as `posterior_name` over `latent_dim` units.

    Args:
        config: an instance of its config class (None: the defaults).
        **kwargs: `seed`, `log_var_range`, `kernel_initializer`, `name`.
    """
    spec = POSTERIORS.get(posterior_name)
    config = spec.config_class() if config is None else config
    if not isinstance(config, spec.config_class):
        raise TypeError(f"Posterior {posterior_name!r} takes a {spec.config_class.__name__}; "
                        f"got {type(config).__name__}.")
    return spec.builder(latent_dim, config, **kwargs)


def posterior_config_from_dict(name, options):
    """The typed config of posterior `name` from a dict (parsed JSON); lists become tuples."""
    return dataclass_from_dict(POSTERIORS.get(name).config_class, options, f"posterior {name!r}")

"""Priors p(z): Keras layers with `log_prob(z)` and `sample(n)`.

`PRIORS` maps a short name to a builder `fn(latent_shape, **options) -> Prior`.
"""

from zoo.priors.prior import Prior
from zoo.priors.standard_normal import StandardNormalPrior
from zoo.registry import Registry

__all__ = ["PRIORS", "Prior", "StandardNormalPrior", "build_prior"]

PRIORS = Registry("prior", hint="import zoo.priors")
PRIORS.register("standard")(StandardNormalPrior)


def build_prior(prior_name, latent_shape, **options):
    """Builds the prior registered as `prior_name` over `latent_shape`.

    `options` go to the prior's constructor (e.g. `name`, `seed`).
    """
    return PRIORS.get(prior_name)(latent_shape=latent_shape, **options)

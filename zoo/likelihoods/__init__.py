"""Likelihoods p(x | z): decoder heads with `log_prob(x, features)`, `mean`, `sample`."""

import functools

from zoo.likelihoods.bernoulli import BernoulliLikelihood
from zoo.likelihoods.discretized_logistic import (
    DiscretizedLogisticMixtureLikelihood,
    log_discretized_logistic,
)
from zoo.likelihoods.gaussian import GaussianLikelihood
from zoo.likelihoods.likelihood import Likelihood
from zoo.registry import Registry

__all__ = ["LIKELIHOODS", "BernoulliLikelihood", "DiscretizedLogisticMixtureLikelihood",
           "GaussianLikelihood", "Likelihood", "log_discretized_logistic"]

LIKELIHOODS = Registry("likelihood", hint="import zoo.likelihoods")
LIKELIHOODS.register("bernoulli")(BernoulliLikelihood)
LIKELIHOODS.register("gaussian")(GaussianLikelihood)
LIKELIHOODS.register("discretized_logistic")(DiscretizedLogisticMixtureLikelihood)
# PixelCNN++ uses 10 components for colour images; 5 per gray level is the zoo's default.
LIKELIHOODS.register("discretized_logistic_mixture")(
    functools.partial(DiscretizedLogisticMixtureLikelihood, num_components=5))

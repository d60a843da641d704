"""Likelihoods p(x | z): decoder heads with `log_prob(x, features)`, `mean`, `sample`."""

from zoo.likelihoods.bernoulli import BernoulliLikelihood
from zoo.likelihoods.gaussian import GaussianLikelihood
from zoo.likelihoods.likelihood import Likelihood
from zoo.registry import Registry

__all__ = ["LIKELIHOODS", "BernoulliLikelihood", "GaussianLikelihood", "Likelihood"]

LIKELIHOODS = Registry("likelihood", hint="import zoo.likelihoods")
LIKELIHOODS.register("bernoulli")(BernoulliLikelihood)
LIKELIHOODS.register("gaussian")(GaussianLikelihood)

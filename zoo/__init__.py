"""Learned-Prior VAE Zoo: priors, posteriors, likelihoods, networks, models, evaluation."""

from zoo import evaluation, likelihoods, models, networks, posteriors, priors

__all__ = ["evaluation", "likelihoods", "models", "networks", "posteriors", "priors"]

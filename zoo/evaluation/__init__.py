"""Evaluation: test log-likelihood, ELBO terms, units. Nats per example unless stated."""

from zoo.evaluation.dataset_evaluation import elbo_over_dataset, log_likelihood_over_dataset
from zoo.evaluation.units import nats_to_bits_per_dim

__all__ = ["elbo_over_dataset", "log_likelihood_over_dataset", "nats_to_bits_per_dim"]

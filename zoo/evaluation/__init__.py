"""Evaluation: test log-likelihood, ELBO terms, rate and distortion, posterior statistics, units.

Nats per example unless stated.
"""

from zoo.evaluation.dataset_evaluation import (
    batches_of,
    elbo_over_dataset,
    log_likelihood_over_dataset,
)
from zoo.evaluation.interpolation import interpolate, prior_log_density_along
from zoo.evaluation.posterior_statistics import (
    active_units,
    closest_pairs,
    posterior_moments_over_dataset,
)
from zoo.evaluation.rate_distortion import closed_form_rate_applies, rate_and_distortion
from zoo.evaluation.units import nats_to_bits_per_dim
from zoo.progress import Progress, with_progress

__all__ = ["Progress", "active_units", "batches_of", "closed_form_rate_applies", "closest_pairs",
           "elbo_over_dataset", "interpolate", "log_likelihood_over_dataset",
           "nats_to_bits_per_dim", "posterior_moments_over_dataset", "prior_log_density_along",
           "rate_and_distortion", "with_progress"]

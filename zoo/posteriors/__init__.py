"""Variational posteriors q(z | x).

Contract: `sample_and_log_prob(features, num_samples) -> (z [S, batch, ...], log_q [S, batch])`.
"""

from zoo.posteriors.diagonal_gaussian import DiagonalGaussianPosterior

__all__ = ["DiagonalGaussianPosterior"]

"""Flow posteriors: a diagonal Gaussian q0(z0 | x) pushed through K flow steps."""

import dataclasses
from typing import Tuple

import keras
import tensorflow as tf

from zoo import flows
from zoo.building import ensure_built
from zoo.posteriors.diagonal_gaussian import DiagonalGaussianPosterior
from zoo.posteriors.iaf_step import IAFStep

__all__ = ["FlowPosterior", "IAFPosteriorConfig", "RealNVPPosteriorConfig", "iaf_posterior",
           "realnvp_posterior"]


@keras.saving.register_keras_serializable(package="zoo")
class FlowPosterior(DiagonalGaussianPosterior):
    """z = f_K(... f_1(z0)), z0 ~ N(mu(h), diag sigma(h)^2):

        log q(z | x) = log q0(z0 | x) - sum_k log |det df_k / dz_{k-1}|

    Steps are either
      - context steps (`IAFStep`): `forward_and_log_det(z, h)` with the
        encoder features h as context (Kingma et al. 2016), or
      - unconditional `zoo.flows` steps (actnorm, invertible dense, affine
        coupling: Xu et al. 2019's RealNVP posterior), through their
        `forward_and_log_det(z)`.

    `params(features)` are q0's (mean and scale of z0); `encode` reports them
    with a flow sample z. There is no closed-form `log_prob(z, features)` (an
    IAF would need D sequential passes to invert), and a VampPrior, which
    needs q(z | u) as a Gaussian, refuses this posterior.

    Args:
        latent_dim, log_var_range, kernel_initializer, seed: as in
            `DiagonalGaussianPosterior`.
        steps: the flow steps, applied in order.
    """

    gaussian = False

    def __init__(self, latent_dim, steps, log_var_range=(-6.0, 2.0), kernel_initializer=None,
                 seed=None, **kwargs):
        super().__init__(latent_dim, log_var_range=log_var_range,
                         kernel_initializer=kernel_initializer, seed=seed, **kwargs)
        self.steps = [keras.saving.deserialize_keras_object(s) if isinstance(s, dict) else s
                      for s in steps]

    def build(self, features_shape):
        super().build(features_shape)
        z_shape = tuple(features_shape[:-1]) + (self.latent_dim,)
        for step in self.steps:
            ensure_built(step, z_shape if hasattr(step, "bijector")
                         else [z_shape, tuple(features_shape)])

    def transform(self, z0, features):
        """(z_K `[..., D]`, sum_k log |det| `[...]`) for z0 `[..., batch, D]`, given features.

        The features `[batch, F]` are not broadcast over z0's sample axes: a
        context step's MADE projects them once per example and adds the
        projection to every sample's first layer (the IS evaluation of the
        8-step IAF posterior 1.16x faster than projecting S copies; the same up
        to float32 round-off).
        """
        z, log_det = z0, tf.zeros(tf.shape(z0)[:-1], z0.dtype)
        for step in self.steps:
            if hasattr(step, "bijector"):
                z, step_log_det = step.forward_and_log_det(z)
            else:
                z, step_log_det = step.forward_and_log_det(z, features)
            log_det += step_log_det
        return z, log_det

    def sample_and_log_prob(self, features, num_samples=1, seed=None):
        """z `[S, ..., batch, D]` and log q(z | x) `[S, ..., batch]`, nats."""
        z0, log_q0 = super().sample_and_log_prob(features, num_samples, seed)
        z, log_det = self.transform(z0, features)
        return z, log_q0 - log_det

    def log_prob(self, z, features):
        raise NotImplementedError(
            "A flow posterior has no closed-form log_prob(z, features); use "
            "sample_and_log_prob, which returns log q of its own samples.")

    def get_config(self):
        config = super().get_config()
        config["steps"] = [keras.saving.serialize_keras_object(s) for s in self.steps]
        return config


@dataclasses.dataclass(frozen=True)
class RealNVPPosteriorConfig:
    """Xu et al. (2019)'s RealNVP posterior: K blocks of the RealNVP prior's flow on z0.

    Attributes:
        num_blocks: K (Table 3: 20).
        hidden_units: each coupling network's hidden layers.
    """

    num_blocks: int = 20
    hidden_units: Tuple[int, ...] = (256,)


@dataclasses.dataclass(frozen=True)
class IAFPosteriorConfig:
    """Kingma et al. (2016)'s IAF posterior.

    Attributes:
        num_steps: IAF steps.
        hidden_units: each step's MADE hidden layers.
    """

    num_steps: int = 2
    hidden_units: Tuple[int, ...] = (300, 300)


def realnvp_posterior(latent_dim, config=RealNVPPosteriorConfig(), seed=None, **kwargs):
    """A `FlowPosterior` with K (actnorm, invertible dense, affine coupling) blocks.

    Actnorm starts at the identity here (no data-dependent initialization).
    """
    steps = []
    for k in range(config.num_blocks):
        steps += [flows.ActNorm(name=f"actnorm_{k}"),
                  flows.InvertibleDense(seed=None if seed is None else seed + 100 + k,
                                        name=f"invertible_dense_{k}"),
                  flows.AffineCoupling(config.hidden_units, name=f"coupling_{k}")]
    return FlowPosterior(latent_dim, steps, seed=seed, **kwargs)


def iaf_posterior(latent_dim, config=IAFPosteriorConfig(), seed=None, **kwargs):
    """A `FlowPosterior` with `num_steps` IAF steps conditioned on the encoder features."""
    steps = [IAFStep(config.hidden_units, name=f"iaf_{k}") for k in range(config.num_steps)]
    return FlowPosterior(latent_dim, steps, seed=seed, **kwargs)

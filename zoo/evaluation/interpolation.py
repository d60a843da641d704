"""The prior's log density along the line between two latent points (Xu et al. 2019, Fig. 2)."""

import numpy as np
import tensorflow as tf

__all__ = ["interpolate", "prior_log_density_along"]


def interpolate(z_from, z_to, num_points=11):
    """`num_points` points (1 - t) z_from + t z_to, t evenly from 0 to 1: (t `[P]`, z `[P, D]`)."""
    t = np.linspace(0.0, 1.0, num_points)
    z_from, z_to = np.asarray(z_from, np.float32), np.asarray(z_to, np.float32)
    return t, ((1.0 - t)[:, None] * z_from[None] + t[:, None] * z_to[None]).astype(np.float32)


def prior_log_density_along(model, z_from, z_to, num_points=50):
    """log p(z) of `model.prior` along the segment from `z_from` to `z_to` (`[D]` each).

    Returns:
        (t `[P]`, log p(z(t)) `[P]` in nats).
    """
    t, z = interpolate(z_from, z_to, num_points)
    log_p = model.prior.distribution().log_prob(tf.convert_to_tensor(z))
    return t, np.asarray(log_p, np.float64)

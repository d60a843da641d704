"""The per-example terms of the evidence lower bound."""

from typing import Dict, NamedTuple

import tensorflow as tf

__all__ = ["ElboTerms"]


class ElboTerms(NamedTuple):
    """Per-example ELBO terms, each `[batch]` in nats.

    ELBO = log p(x | z) - sum_g [log q(z_g | ...) - log p(z_g | ...)]

    Attributes:
        log_px_z: Monte-Carlo estimate of E_q[log p(x | z)].
        log_pz: one entry per latent group (e.g. {"z": ...} or {"z1", "z2"}):
            E_q[log p(z_g | parents)].
        log_qz_x: the same groups: E_q[log q(z_g | x, ...)].
    """

    log_px_z: tf.Tensor
    log_pz: Dict[str, tf.Tensor]
    log_qz_x: Dict[str, tf.Tensor]

    @property
    def kl(self):
        """Monte-Carlo KL(q || p) summed over latent groups, `[batch]`."""
        return tf.add_n([self.log_qz_x[g] - self.log_pz[g] for g in self.log_qz_x])

    @property
    def elbo(self):
        """`[batch]`, nats."""
        return self.log_px_z - self.kl

    def objective(self, beta=1.0):
        """beta-weighted ELBO, `[batch]`: log p(x | z) - beta * KL."""
        return self.log_px_z - beta * self.kl

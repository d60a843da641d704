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

    def loss(self, beta=1.0, free_bits=0.0):
        """The training loss of a batch (a scalar, nats per example):

            -mean_batch log p(x | z) + beta * sum_g max(free_bits, mean_batch KL_g)

        With `free_bits` = 0 it is -mean(objective(beta)). Otherwise each latent
        group g keeps `free_bits` nats of KL for free (Kingma et al. 2016,
        "free bits", on the minibatch average as there): a group whose average
        KL is below it gets no gradient from its KL term.
        """
        kl_per_group = [tf.reduce_mean(self.log_qz_x[g] - self.log_pz[g]) for g in self.log_qz_x]
        free_bits = tf.cast(free_bits, self.log_px_z.dtype)
        # No floor at 0 without free bits: a Monte Carlo KL average may be negative.
        kl = tf.add_n([tf.where(free_bits > 0, tf.maximum(k, free_bits), k)
                       for k in kl_per_group])
        return -tf.reduce_mean(self.log_px_z) + beta * kl

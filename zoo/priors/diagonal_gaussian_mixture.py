"""The mixture of diagonal Gaussians that the MoG prior and the VampPrior share."""

import tensorflow_probability as tfp

tfd = tfp.distributions

__all__ = ["diagonal_gaussian_mixture"]


def diagonal_gaussian_mixture(loc, scale, logits):
    """sum_k softmax(logits)_k N(z; loc_k, diag(scale_k^2)) over a flat latent.

    Args:
        loc, scale: `[K, D]`.
        logits: `[K]` unnormalised log mixture weights.

    Returns:
        A `tfd.MixtureSameFamily` with event shape `[D]`: `log_prob` is the
        log-sum-exp over components, `sample` picks a component and then
        samples it.
    """
    return tfd.MixtureSameFamily(
        mixture_distribution=tfd.Categorical(logits=logits),
        components_distribution=tfd.Independent(tfd.Normal(loc, scale),
                                                reinterpreted_batch_ndims=1))

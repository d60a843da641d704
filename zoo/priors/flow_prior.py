"""A prior that is a standard normal pushed through a learned flow."""

import tensorflow as tf
import tensorflow_probability as tfp

from zoo.building import ensure_built
from zoo.priors.prior import Prior

tfb = tfp.bijectors
tfd = tfp.distributions

__all__ = ["FlowPrior"]


class FlowPrior(Prior):
    """p(z) = N(f(z); 0, I) |det df/dz|, with f = `self.flow` (z -> eps).

    Subclasses set `self.flow` (a `zoo.flows.Flow`) in their constructor.
    `log_prob` is one pass of f (TFP's `TransformedDistribution` under the
    inverse of f's bijector); `sample` runs f^-1. Steps with data-dependent
    initialization (actnorm) are set from posterior samples by
    `initialize_from_data`.
    """

    ACTNORM_EXAMPLES = 1000

    @property
    def initialization_examples(self):
        """Posterior samples for the steps with data-dependent init (0 if none has it)."""
        needs_data = any(hasattr(step, "initialize") for step in self.flow.steps)
        return self.ACTNORM_EXAMPLES if needs_data else 0

    def __init__(self, latent_shape, **kwargs):
        super().__init__(latent_shape, **kwargs)
        if self.event_rank != 1:
            raise ValueError(f"{type(self).__name__} needs a flat latent; got {latent_shape}.")
        self.flow = None

    def build(self, input_shape):
        ensure_built(self.flow, (None,) + self.latent_shape)

    def build_distribution(self):
        base = tfd.Sample(tfd.Normal(tf.zeros([], self.compute_dtype), 1.0),
                          sample_shape=self.latent_shape)
        inverse = tfb.Invert(self.flow.bijector(), name="inverse_flow")
        return tfd.TransformedDistribution(base, inverse, name="flow_prior")

    def initialize_from_data(self, x, z):
        del x
        self.flow.initialize(tf.reshape(z, (-1,) + self.latent_shape))

"""Flow steps: Keras layers that build TFP bijectors from their weights.

Convention: a step's `bijector()` maps the data side (z) to the noise side
(eps) in its *forward* direction, the direction in which densities are
evaluated (as in Glow's and Xu et al.'s code). A flow of steps s_1 .. s_K is
the chain eps = s_K(...s_1(z)), and a flow prior is the base distribution
pushed through its inverse. `forward_and_log_det(z)` gives a step's eps and
log |det d eps / dz| from one evaluation of its network (densities use it);
the bijector's inverse samples. Steps with data-dependent initialization have an
`initialize(h)` method taking the step's input.
"""

from zoo.flows.actnorm import ActNorm
from zoo.flows.affine_coupling import AffineCoupling
from zoo.flows.flow import Flow
from zoo.flows.invertible_dense import InvertibleDense
from zoo.flows.masked_autoregressive import MaskedAutoregressiveStep
from zoo.flows.reverse import Reverse

__all__ = ["ActNorm", "AffineCoupling", "Flow", "InvertibleDense",
           "MaskedAutoregressiveStep", "Reverse"]

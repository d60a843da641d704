"""RealNVP prior (Xu et al. 2019; Huang et al. 2017): actnorm, invertible dense, affine coupling."""

import dataclasses
from typing import Tuple

import keras

from zoo import flows
from zoo.priors.flow_prior import FlowPrior

__all__ = ["RealNVPPrior", "RealNVPPriorConfig"]


@dataclasses.dataclass(frozen=True)
class RealNVPPriorConfig:
    """Attributes:
        num_blocks: flow depth K (Xu et al.: 20 for DenseVAE, 50 for ResnetVAE).
        hidden_units: hidden layers of each coupling network (Xu et al.'s
            code: one layer of 256 units).
    """

    num_blocks: int = 20
    hidden_units: Tuple[int, ...] = (256,)


@keras.saving.register_keras_serializable(package="zoo")
class RealNVPPrior(FlowPrior):
    """K blocks of (actnorm, LU invertible dense, affine coupling) on a standard normal base.

    In the density direction z -> eps each block applies actnorm (mean and
    scale initialised from posterior samples), a learned rotation-like
    invertible dense map, then an affine coupling whose network starts at
    zero, so the untrained prior is a Gaussian fitted to the initial
    aggregate posterior.

    Args:
        latent_shape: `(D,)`, D >= 2.
        num_blocks, hidden_units: see `RealNVPPriorConfig`.

    #### References
    Xu, Chen, Li, Zhang. Shallow VAEs with RealNVP Prior Can Perform as Well as
    Deep Hierarchical VAEs. https://arxiv.org/abs/1905.11645
    """

    def __init__(self, latent_shape, num_blocks=20, hidden_units=(256,), **kwargs):
        super().__init__(latent_shape, **kwargs)
        self.num_blocks = int(num_blocks)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        steps = []
        for k in range(self.num_blocks):
            steps += [flows.ActNorm(name=f"actnorm_{k}"),
                      flows.InvertibleDense(seed=None if self.seed is None else self.seed + k,
                                            name=f"invertible_dense_{k}"),
                      flows.AffineCoupling(self.hidden_units, name=f"coupling_{k}")]
        self.flow = flows.Flow(steps, name="flow")

    def get_config(self):
        config = super().get_config()
        config.update(num_blocks=self.num_blocks, hidden_units=list(self.hidden_units))
        return config

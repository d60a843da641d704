"""Autoregressive-flow prior (Chen et al. 2017): K MAF steps on the zoo's MADE."""

import dataclasses
from typing import Tuple

import keras

from zoo import flows
from zoo.priors.flow_prior import FlowPrior

__all__ = ["MAFPrior", "MAFPriorConfig"]


@dataclasses.dataclass(frozen=True)
class MAFPriorConfig:
    """Attributes:
        num_steps: K (Chen et al.: 4).
        hidden_units: the MADE's hidden layers (Chen et al.: 3 of 640, ReLU).
        shift_only: the paper's "mean-only" flow (no scale); False adds a
            log-scale per dimension.
    """

    num_steps: int = 4
    hidden_units: Tuple[int, ...] = (640, 640, 640)
    shift_only: bool = True


@keras.saving.register_keras_serializable(package="zoo")
class MAFPrior(FlowPrior):
    """K masked-autoregressive steps with order reversals between them, standard normal base.

    log p(z) costs one MADE pass per step; sampling costs D passes per step.
    Each MADE's output layer starts at zero, so the untrained prior is the
    standard normal.

    Args:
        latent_shape: `(D,)`, D >= 2.
        num_steps, hidden_units, shift_only: see `MAFPriorConfig`.

    #### References
    Chen et al. Variational Lossy Autoencoder. ICLR 2017 (Sec. 3.2, App. C).
    https://arxiv.org/abs/1611.02731
    """

    def __init__(self, latent_shape, num_steps=4, hidden_units=(640, 640, 640),
                 shift_only=True, **kwargs):
        super().__init__(latent_shape, **kwargs)
        self.num_steps = int(num_steps)
        self.hidden_units = tuple(int(u) for u in hidden_units)
        self.shift_only = bool(shift_only)
        steps = []
        for k in range(self.num_steps):
            if k > 0:
                steps.append(flows.Reverse(name=f"reverse_{k}"))
            steps.append(flows.MaskedAutoregressiveStep(
                self.hidden_units, shift_only=self.shift_only, name=f"maf_{k}"))
        self.flow = flows.Flow(steps, name="flow")

    def get_config(self):
        config = super().get_config()
        config.update(num_steps=self.num_steps, hidden_units=list(self.hidden_units),
                      shift_only=self.shift_only)
        return config

"""VampPrior: a mixture of the model's posteriors at K pseudo-inputs (Tomczak & Welling 2018)."""

import dataclasses
from typing import ClassVar

import keras
import numpy as np
import tensorflow as tf

from zoo.priors.diagonal_gaussian_mixture import DiagonalGaussianMixture
from zoo.priors.prior import Prior

__all__ = ["VampPrior", "VampPriorConfig"]

PSEUDO_INPUTS_KINDS = ("learned", "data")

# Option names of earlier versions, still read from saved configs (`.keras`
# files, workdirs' config.json): "pseudo_inputs" is now the weight itself.
_RENAMED_OPTIONS = {"pseudo_inputs": "pseudo_inputs_kind"}


@dataclasses.dataclass(frozen=True)
class VampPriorConfig:
    """Attributes:
        num_components: K, the number of pseudo-inputs (the paper: 500).
        pseudo_inputs_kind: "learned" (trainable, initialised N(init_mean,
            init_std^2) and kept in [0, 1] as in the paper's code) or "data"
            (K random training images, fixed: the paper's "VampPrior data").
        trainable_mixture_weights: learn w_k (the weighted VampPrior of the
            paper's Eq. 16) instead of w_k = 1/K.
        init_mean, init_std: initial distribution of learned pseudo-inputs.
    """

    RENAMED_OPTIONS: ClassVar[dict] = _RENAMED_OPTIONS

    num_components: int = 500
    pseudo_inputs_kind: str = "learned"
    trainable_mixture_weights: bool = False
    init_mean: float = 0.05
    init_std: float = 0.01


@keras.saving.register_keras_serializable(package="zoo")
class VampPrior(Prior):
    """p(z) = sum_k w_k q(z | u_k): the variational posterior at K pseudo-inputs.

        log p(z) = logsumexp_k [log q(z | u_k) + log w_k],   w_k = 1/K by default.

    The prior evaluates the model's own encoder, which the model wires in with
    `attach_encoder(fn)`, `fn(u [K, *input_shape]) -> (loc, scale)`, each
    `[K, D]`. The function is not a tracked attribute: the encoder's weights
    belong to the model and are saved once, and the model re-attaches it when
    it is rebuilt from its config (`.keras` load). `distribution()` encodes
    the K pseudo-inputs once; the VAE builds it once per training step and
    once per `log_likelihood` call.

    Weights: `pseudo_inputs [K, *input_shape]` (trainable when "learned",
    used through clip(u, 0, 1) like the paper's Hardtanh(0, 1)), `logits [K]`
    (trainable with `trainable_mixture_weights`).

    Args:
        latent_shape: `(D,)`.
        pseudo_input_shape: shape of one data example (and pseudo-input), e.g. `(28, 28, 1)`.
        num_components, pseudo_inputs_kind, trainable_mixture_weights, init_mean,
            init_std: see `VampPriorConfig`.

    #### References
    Tomczak, Welling. VAE with a VampPrior. AISTATS 2018.
    https://arxiv.org/abs/1705.07120
    """

    def __init__(self, latent_shape, pseudo_input_shape, num_components=500,
                 pseudo_inputs_kind="learned", trainable_mixture_weights=False,
                 init_mean=0.05, init_std=0.01, **kwargs):
        super().__init__(latent_shape, **kwargs)
        if pseudo_inputs_kind not in PSEUDO_INPUTS_KINDS:
            raise ValueError(f"pseudo_inputs_kind must be one of {PSEUDO_INPUTS_KINDS}; "
                             f"got {pseudo_inputs_kind!r}.")
        self.pseudo_input_shape = tuple(int(d) for d in pseudo_input_shape)
        self.num_components = int(num_components)
        self.pseudo_inputs_kind = pseudo_inputs_kind
        self.trainable_mixture_weights = bool(trainable_mixture_weights)
        self.init_mean = float(init_mean)
        self.init_std = float(init_std)
        self._encode = None

    @property
    def initialization_examples(self):
        return self.num_components if self.pseudo_inputs_kind == "data" else 0

    def attach_encoder(self, encode):
        """Wires in `encode(u) -> (loc, scale)`, the model's q(z | u) parameters."""
        self._encode = encode

    def build(self, input_shape):
        self.pseudo_inputs = self.add_weight(
            shape=(self.num_components,) + self.pseudo_input_shape, name="pseudo_inputs",
            trainable=self.pseudo_inputs_kind == "learned",
            initializer=keras.initializers.RandomNormal(self.init_mean, self.init_std,
                                                        seed=self.seed))
        self.logits = self.add_weight(shape=(self.num_components,), name="logits",
                                      initializer="zeros",
                                      trainable=self.trainable_mixture_weights)

    def components(self):
        """The pseudo-inputs' posterior parameters (loc, scale), each `[K, D]`."""
        if self._encode is None:
            raise ValueError(
                "This VampPrior has no encoder: it evaluates the model's own q(z | u). "
                "Build it inside a zoo model (VAE wires it in) or call "
                "prior.attach_encoder(fn) with fn(u) -> (loc, scale).")
        return self._encode(tf.clip_by_value(self.pseudo_inputs, 0.0, 1.0))

    def build_distribution(self):
        loc, scale = self.components()
        return DiagonalGaussianMixture(loc, scale, tf.convert_to_tensor(self.logits))

    def initialize_from_data(self, x, z):
        """"data" pseudo-inputs: the first K of `x` (the caller shuffles it)."""
        del z
        if self.pseudo_inputs_kind != "data":
            return
        x = np.asarray(x, np.float32)
        if len(x) < self.num_components or x.shape[1:] != self.pseudo_input_shape:
            raise ValueError(f"VampPrior 'data' needs {self.num_components} examples of shape "
                             f"{self.pseudo_input_shape}; got {x.shape}.")
        self.pseudo_inputs.assign(x[: self.num_components])

    def get_config(self):
        config = super().get_config()
        config.update(pseudo_input_shape=list(self.pseudo_input_shape),
                      num_components=self.num_components,
                      pseudo_inputs_kind=self.pseudo_inputs_kind,
                      trainable_mixture_weights=self.trainable_mixture_weights,
                      init_mean=self.init_mean, init_std=self.init_std)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for old, new in _RENAMED_OPTIONS.items():
            if old in config:
                config[new] = config.pop(old)
        return super().from_config(config)

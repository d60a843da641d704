"""Optimizers of the papers, by name.

`adam_norm_grad` is the VampPrior code's AdamNormGrad: Adam fed each weight
tensor's gradient divided by its L2 norm (Tomczak & Welling 2018, Sec. 5.1:
"ADAM with normalized gradients"). Keras has per-tensor clipping (`clipnorm`),
which only shrinks large gradients; normalization rescales every gradient to
norm 1, so it is written here, as a one-line change to Keras's Adam step.
"""

import keras
import tensorflow as tf

from zoo import numerics
from zoo.registry import Registry

__all__ = ["AdamNormGrad", "OPTIMIZERS", "build_optimizer"]


@keras.saving.register_keras_serializable(package="zoo")
class AdamNormGrad(keras.optimizers.Adam):
    """Adam on per-tensor normalized gradients: g <- g / (||g||_2 + 1e-7).

    The defaults (epsilon 1e-8) follow the VampPrior code; Keras's Adam update
    m / (sqrt(v) + eps) with lr * sqrt(1 - b2^t) / (1 - b1^t) is the same
    formula as that code's.

    #### References
    Yu et al. Block-Normalized Gradient Method. https://arxiv.org/abs/1707.04822
    """

    def __init__(self, learning_rate=0.001, epsilon=1e-8, **kwargs):
        super().__init__(learning_rate=learning_rate, epsilon=epsilon, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        # tf.norm's sum, as a matrix-vector product (XLA's CPU sums are slow; see sum_all).
        norm = tf.sqrt(numerics.sum_all(tf.square(gradient)))
        gradient = gradient / (norm + 1e-7)
        super().update_step(gradient, variable, learning_rate)


OPTIMIZERS = Registry("optimizer", hint="import trainers.optimizers")
OPTIMIZERS.register("adam")(keras.optimizers.Adam)
OPTIMIZERS.register("adam_norm_grad")(AdamNormGrad)
OPTIMIZERS.register("adamax")(keras.optimizers.Adamax)   # VLAE (Chen et al. 2017)


def build_optimizer(name, learning_rate, clip_norm=None, ema_momentum=None):
    """The optimizer `name`; `clip_norm` clips the gradients to that global L2 norm first.

    Clipping uses Keras's `global_clipnorm`, applied before the update step; with
    `adam_norm_grad` each tensor is normalized afterwards anyway, so clipping
    changes nothing there but a non-finite norm.

    `ema_momentum` alpha turns on Polyak averaging, Keras's optimizer EMA:
    after every step, average <- alpha * average + (1 - alpha) * weight
    (VLAE: alpha = 0.998). The averages are never copied into the model during
    training (`ema_overwrite_frequency=None`); the trainer evaluates and saves
    the best model with them (`trainers/callbacks.py`).
    """
    kwargs = {} if clip_norm is None else {"global_clipnorm": float(clip_norm)}
    if ema_momentum is not None:
        if not 0.0 < ema_momentum < 1.0:
            raise ValueError(f"ema_momentum must be in (0, 1); got {ema_momentum}.")
        kwargs.update(use_ema=True, ema_momentum=float(ema_momentum),
                      ema_overwrite_frequency=None)
    return OPTIMIZERS.get(name)(learning_rate=learning_rate, **kwargs)

"""Likelihoods p(x | z): decoder heads with `log_prob(x, features)`, `mean`, `sample`."""

import functools

from zoo.likelihoods.bernoulli import BernoulliLikelihood
from zoo.likelihoods.discretized_logistic import (
    DiscretizedLogisticMixtureLikelihood,
    log_discretized_logistic,
)
from zoo.likelihoods.gaussian import GaussianLikelihood
from zoo.likelihoods.likelihood import Likelihood
from zoo.likelihoods.pixelcnn_bernoulli import PixelCNNBernoulliLikelihood
from zoo.registry import Registry

__all__ = ["LIKELIHOODS", "BernoulliLikelihood", "DiscretizedLogisticMixtureLikelihood",
           "GaussianLikelihood", "Likelihood", "PixelCNNBernoulliLikelihood",
           "log_discretized_logistic"]

LIKELIHOODS = Registry("likelihood", hint="import zoo.likelihoods")
LIKELIHOODS.register("bernoulli")(BernoulliLikelihood)
LIKELIHOODS.register("gaussian")(GaussianLikelihood)
LIKELIHOODS.register("discretized_logistic")(DiscretizedLogisticMixtureLikelihood)
# PixelCNN++ uses 10 components for colour images; 5 per gray level is the zoo's default.
LIKELIHOODS.register("discretized_logistic_mixture")(
    functools.partial(DiscretizedLogisticMixtureLikelihood, num_components=5))
# PixelCNN decoders for binary images: the VampPrior paper's PixelHVAE (8 masked 3x3 layers of
# 64 channels) and VLAE's small receptive field (6 layers of 12 filters in residual blocks,
# conditioned on 4 feature maps; VLAE also ties the masked layers' weights, which this does not).
LIKELIHOODS.register("pixelcnn_bernoulli")(PixelCNNBernoulliLikelihood)
LIKELIHOODS.register("pixelcnn_bernoulli_vlae")(functools.partial(
    PixelCNNBernoulliLikelihood, num_layers=6, filters=12, residual=True,
    conditioning_channels=4))

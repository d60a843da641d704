"""Learned-Prior VAE Zoo: priors, posteriors, likelihoods, networks, flows, models, evaluation.

Import the subpackages you use (`from zoo import priors`); this package does not
import them all, so that using one part does not load (or, under Bazel, depend
on) the others.
"""

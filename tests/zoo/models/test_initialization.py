"""Initial weights: every kernel its own draw, as in the papers' code (a gated layer's h and
g, a posterior's mean and log-variance heads, He-normal in the VampPrior's models), and the
trainer's seed builds the same model."""

import keras
import numpy as np
import pytest

from zoo.models import ModelConfig, build_model

SHAPE = (8, 8, 1)


def _kernels(model):
    return {w.path: w.numpy() for w in model.weights if w.path.endswith("kernel")}


@pytest.mark.parametrize("architecture", ["gated_mlp", "gated_mlp_hvae", "tanh_mlp"])
def test_no_two_kernels_start_equal_and_each_is_he_normal(architecture):
    config = ModelConfig(architecture=architecture, latent_dim=16, hidden_units=(64, 64))
    kernels = _kernels(build_model(config, SHAPE, seed=0))
    assert any(p.endswith("posterior/log_var/kernel") for p in kernels)
    if architecture.startswith("gated"):
        assert any(p.endswith("/g/kernel") for p in kernels)
    paths = sorted(kernels)
    for i, a in enumerate(paths):
        for b in paths[i + 1:]:
            if kernels[a].shape == kernels[b].shape:
                assert not np.array_equal(kernels[a], kernels[b]), (a, b)
    if not architecture.startswith("gated"):
        return
    for path, kernel in kernels.items():   # the VampPrior code's N(0, 2 / fan_in), untruncated
        if "posterior" in path or path.endswith("/h/kernel") or path.endswith("/g/kernel"):
            fan_in = kernel.shape[0]
            np.testing.assert_allclose(kernel.std(), np.sqrt(2 / fan_in), rtol=0.1,
                                       err_msg=path)


def _seeded_build(config, seed):
    keras.utils.set_random_seed(seed)   # as trainers.train does before it builds
    return build_model(config, SHAPE, seed=seed)


def test_the_same_seed_builds_the_same_weights_and_another_seed_others():
    config = ModelConfig(latent_dim=4, hidden_units=(8,))
    first, again, other = (_seeded_build(config, s) for s in (3, 3, 4))
    for a, b, c in zip(first.weights, again.weights, other.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(first.posterior.loc_head.kernel.numpy(),
                              other.posterior.loc_head.kernel.numpy())


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

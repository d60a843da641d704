"""IAF and RealNVP posteriors: log q is the change of variables of the Gaussian base,
checked against the autodiff Jacobian; the conditional MADE stays autoregressive."""

import sys

import numpy as np
import pytest
import tensorflow as tf

from tests.model_checks import assert_trains_bounds_and_round_trips
from tests.tiny_models import IMAGE_SHAPE
from zoo.models import ModelConfig, build_model
from zoo.networks.made import MADE
from zoo.posteriors import (
    DiagonalGaussianPosterior,
    FlowPosterior,
    IAFPosteriorConfig,
    RealNVPPosteriorConfig,
    build_posterior,
)

LATENT, FEATURES = 3, 5
CONFIGS = {"iaf": IAFPosteriorConfig(num_steps=2, hidden_units=(16,)),
           "realnvp": RealNVPPosteriorConfig(num_blocks=2, hidden_units=(8,))}


def random_posterior(kind):
    """A built flow posterior whose zero-initialized weights are made random (not the identity)."""
    posterior = build_posterior(kind, LATENT, CONFIGS[kind], seed=0)
    posterior.build((None, FEATURES))
    rng = np.random.RandomState(1)
    for weight in posterior.weights:
        if not np.any(weight.numpy()):
            weight.assign(0.3 * rng.randn(*weight.shape))
    return posterior


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_log_q_is_the_base_density_minus_the_autodiff_log_determinant(kind):
    posterior = random_posterior(kind)
    features = np.random.RandomState(2).randn(2, FEATURES).astype("float32")
    seed = tf.constant([3, 4], tf.int64)
    z, log_q = posterior.sample_and_log_prob(features, 4, seed)
    assert z.shape == (4, 2, LATENT) and log_q.shape == (4, 2)
    # The base sample with the same seed, and the flow applied to it.
    z0, log_q0 = DiagonalGaussianPosterior.sample_and_log_prob(posterior, features, 4, seed)
    for s in range(4):
        for b in range(2):
            point = tf.constant(z0[s, b])
            with tf.GradientTape() as tape:
                tape.watch(point)
                image = posterior.transform(point[None], features[b:b + 1])[0][0]
            jacobian = tape.jacobian(image, point).numpy()
            np.testing.assert_allclose(image, z[s, b], rtol=1e-5, atol=1e-6)
            expected = log_q0[s, b] - np.log(abs(np.linalg.det(jacobian)))
            np.testing.assert_allclose(log_q[s, b], expected, rtol=1e-4, atol=1e-4)
    # The flow moved the samples: not the identity.
    assert np.max(np.abs(z - z0)) > 0.05
    with pytest.raises(NotImplementedError, match="no closed-form log_prob"):
        posterior.log_prob(z, features)


def test_the_iaf_context_is_projected_once_per_example_not_once_per_sample():
    posterior = random_posterior("iaf")
    features = np.random.RandomState(2).randn(2, FEATURES).astype("float32")
    z0 = np.random.RandomState(3).randn(6, 2, LATENT).astype("float32")          # [S, batch, D]
    function = tf.function(posterior.transform)
    graph = function.get_concrete_function(tf.TensorSpec(z0.shape),
                                           tf.TensorSpec(features.shape)).graph
    # Each step's context projection [batch, 5] x [5, 16] multiplies the 2 rows of the batch.
    rows = [op.inputs[0].shape[0] for op in graph.get_operations()
            if op.type == "MatMul" and op.inputs[1].shape[0] == FEATURES]
    assert rows == [2, 2]
    z, log_det = (t.numpy() for t in function(z0, features))
    copies = np.broadcast_to(features, (6, 2, FEATURES))
    z_copies, log_det_copies = (t.numpy() for t in posterior.transform(z0, copies))
    np.testing.assert_allclose(z, z_copies, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(log_det, log_det_copies, rtol=1e-5, atol=1e-5)


def test_conditional_made_is_autoregressive_in_x_and_sees_the_whole_context():
    made = MADE(4, (12, 12), num_params=2, context_units=3, zero_init_output=False)
    x = tf.constant(np.random.RandomState(0).randn(1, 4), tf.float32)
    context = tf.constant(np.random.RandomState(1).randn(1, 3), tf.float32)
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([x, context])
        out = made(x, context=context)
    dx = tape.jacobian(out, x).numpy()[0, :, :, 0, :]          # [D, params, D]
    dc = tape.jacobian(out, context).numpy()[0, :, :, 0, :]    # [D, params, C]
    for i in range(4):
        assert np.all(dx[i, :, i:] == 0)                        # no x_j, j >= i
    assert np.all(dx[3, :, :3] != 0) and np.all(dc[1:] != 0)
    with pytest.raises(ValueError, match="takes a context of 3 units"):
        made(x)


def test_a_vae_with_a_flow_posterior_trains_and_round_trips(tmp_path):
    config = ModelConfig(latent_dim=LATENT, hidden_units=(8,), posterior="iaf",
                         posterior_config={"num_steps": 2, "hidden_units": [8]})
    assert config.posterior_config == IAFPosteriorConfig(2, (8,))
    model = build_model(config, IMAGE_SHAPE, seed=0)
    assert isinstance(model.posterior, FlowPosterior)
    x = (np.random.RandomState(0).rand(64, *IMAGE_SHAPE) > 0.5).astype("float32")
    assert_trains_bounds_and_round_trips(model, x, tmp_path, epochs=5, learning_rate=1e-2,
                                         min_gain=0.5)


def test_the_vampprior_refuses_a_flow_posterior():
    model = build_model(ModelConfig(latent_dim=LATENT, hidden_units=(8,), prior="vamp",
                                    prior_config={"num_components": 4}, posterior="realnvp",
                                    posterior_config={"num_blocks": 1, "hidden_units": [4]}),
                        IMAGE_SHAPE, seed=0)
    with pytest.raises(ValueError, match="VampPrior evaluates q\\(z \\| u\\) as a diagonal"):
        model.elbo_terms(np.zeros((2,) + IMAGE_SHAPE, np.float32))
    with pytest.raises(ValueError, match="diagonal Gaussian posteriors only"):
        build_model(ModelConfig(architecture="gated_mlp_hvae", posterior="iaf"), IMAGE_SHAPE)
    with pytest.raises(TypeError, match="takes a IAFPosteriorConfig"):
        ModelConfig(posterior="iaf", posterior_config=RealNVPPosteriorConfig())


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

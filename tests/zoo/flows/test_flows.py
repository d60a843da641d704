"""Flow steps: exact inverses, log-determinants against autodiff Jacobians, actnorm init."""

import numpy as np
import pytest
import tensorflow as tf

from zoo import flows


def perturb(layer, scale=0.1, seed=0):
    """Moves every float weight off its (often identity) initial value."""
    rng = np.random.RandomState(seed)
    for w in layer.weights:
        if w.dtype == "float32":
            w.assign(w.numpy() + scale * rng.randn(*w.shape).astype(np.float32))


def _steps():
    return {
        "actnorm": lambda: flows.ActNorm(),
        "invertible_dense": lambda: flows.InvertibleDense(seed=1),
        "affine_coupling": lambda: flows.AffineCoupling((7,)),
        "maf_affine": lambda: flows.MaskedAutoregressiveStep((9, 9), shift_only=False),
        "maf_shift_only": lambda: flows.MaskedAutoregressiveStep((9,), shift_only=True),
        "reverse": lambda: flows.Reverse(),
        "flow": lambda: flows.Flow([flows.ActNorm(), flows.InvertibleDense(seed=2),
                                    flows.AffineCoupling((7,)), flows.Reverse(),
                                    flows.MaskedAutoregressiveStep((9,), shift_only=False)]),
    }


@pytest.fixture(params=sorted(_steps()))
def step(request):
    layer = _steps()[request.param]()
    layer.build((None, 3))
    perturb(layer)
    return layer


def test_forward_inverse_round_trip_is_exact(step):
    z = tf.constant(np.random.RandomState(1).randn(50, 3), tf.float32)
    bijector = step.bijector()
    eps = bijector.forward(z)
    assert np.all(np.isfinite(eps.numpy()))
    np.testing.assert_allclose(bijector.inverse(eps).numpy(), z.numpy(), atol=1e-5)
    assert not np.allclose(eps.numpy(), z.numpy())  # the step is not the identity


def test_log_det_matches_autodiff_jacobian(step):
    z = tf.constant(np.random.RandomState(2).randn(6, 3), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(z)
        eps = step.bijector().forward(z)
    jacobian = tape.batch_jacobian(eps, z).numpy().astype(np.float64)
    expected = np.linalg.slogdet(jacobian)[1]
    log_det = step.bijector().forward_log_det_jacobian(z, event_ndims=1).numpy()
    np.testing.assert_allclose(np.broadcast_to(log_det, expected.shape), expected, atol=1e-4)


def test_data_dependent_actnorm_standardizes_its_input():
    flow = flows.Flow([flows.InvertibleDense(seed=0), flows.ActNorm(), flows.ActNorm()])
    flow.build((None, 3))
    z = np.random.RandomState(3).randn(2000, 3) * [1.0, 5.0, 0.2] + 7.0
    flow.initialize(z)
    eps = flow(z).numpy()
    np.testing.assert_allclose(eps.mean(0), 0.0, atol=1e-4)
    np.testing.assert_allclose(eps.std(0), 1.0, atol=1e-3)
    # The second actnorm saw already-standardized inputs: it stays near the identity.
    np.testing.assert_allclose(flow.steps[2].loc.numpy(), 0.0, atol=1e-4)


@pytest.mark.parametrize("make", [lambda: flows.AffineCoupling((7,), log_scale_clamp=1.5),
                                  lambda: flows.MaskedAutoregressiveStep(
                                      (9,), shift_only=False, log_scale_clamp=1.5)])
def test_log_scale_is_soft_clamped(make):
    step = make()
    step.build((None, 4))
    perturb(step, scale=100.0)   # a wildly overshooting network
    z = tf.constant(np.random.RandomState(4).randn(100, 4) * 10, tf.float32)
    log_det = step.bijector().forward_log_det_jacobian(z, event_ndims=1).numpy()
    scaled_dims = 2 if isinstance(step, flows.AffineCoupling) else 4
    assert np.all(np.isfinite(log_det)) and np.abs(log_det).max() <= 1.5 * scaled_dims + 1e-4
    assert np.abs(log_det).max() > 1.0   # and the clamp is what bounds it


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))


def _tfp_chain(step):
    """The step (or flow) as TFP's own bijector: the reference for `forward_and_log_det`."""
    return step.chain() if isinstance(step, flows.Flow) else step.bijector()


def test_forward_and_log_det_equals_tfp_bijectors(step):
    z = tf.constant(np.random.RandomState(5).randn(4, 5, 3), tf.float32)   # leading dims [4, 5]
    eps, log_det = step.forward_and_log_det(z)
    reference = _tfp_chain(step)
    np.testing.assert_allclose(eps.numpy(), reference.forward(z).numpy(), atol=1e-5)
    expected = np.broadcast_to(reference.forward_log_det_jacobian(z, event_ndims=1).numpy(),
                               (4, 5))
    assert log_det.shape == (4, 5)
    np.testing.assert_allclose(log_det.numpy(), expected, atol=1e-5)


def test_flow_log_prob_evaluates_each_network_once():
    """A flow density evaluates every coupling network and MADE once, value and log-det
    together (`tfb.RealNVP` and `tfb.MaskedAutoregressiveFlow` evaluate them twice)."""
    import tensorflow_probability as tfp
    coupling = flows.AffineCoupling((7,))
    autoregressive = flows.MaskedAutoregressiveStep((9,), shift_only=False)
    flow = flows.Flow([flows.ActNorm(), coupling, flows.Reverse(), autoregressive])
    flow.build((None, 3))
    perturb(flow)
    calls = {"coupling": 0, "made": 0}
    original_coupling, original_made = coupling._shift_and_log_scale_fn, autoregressive.made.call

    def counted_coupling(*args):
        calls["coupling"] += 1
        return original_coupling(*args)

    def counted_made(*args, **kwargs):
        calls["made"] += 1
        return original_made(*args, **kwargs)

    coupling._shift_and_log_scale_fn = counted_coupling
    autoregressive.made.call = counted_made
    base = tfp.distributions.Sample(tfp.distributions.Normal(0.0, 1.0), sample_shape=[3])
    density = tfp.distributions.TransformedDistribution(
        base, tfp.bijectors.Invert(flow.bijector()))
    z = tf.constant(np.random.RandomState(6).randn(10, 3), tf.float32)
    log_prob = density.log_prob(z).numpy()
    assert calls == {"coupling": 1, "made": 1}
    eps, log_det = flow.forward_and_log_det(z)
    expected = base.log_prob(eps).numpy() + log_det.numpy()
    np.testing.assert_allclose(log_prob, expected, atol=1e-5)

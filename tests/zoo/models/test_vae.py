"""VAE: ELBO terms, importance-sampled log-likelihood, training and saving."""

import keras
import numpy as np
import pytest
import scipy.special
import scipy.stats
import tensorflow as tf

from zoo import likelihoods, posteriors, priors
from zoo import random as zoo_random
from zoo.models import VAE, build_gated_mlp_vae


def _linear_gaussian_vae(w, b, sigma, posterior_shift=0.0, posterior_log_var_shift=0.0):
    """x = W z + b + sigma * eps, z ~ N(0, I), with q set to the exact posterior
    (diagonal because W has orthogonal columns), optionally perturbed."""
    dx, dz = w.shape
    cov = np.linalg.inv(np.eye(dz) + w.T @ w / sigma**2)
    assert np.allclose(cov, np.diag(np.diag(cov)))
    a = cov @ w.T / sigma**2                      # mu = A (x - b)
    model = VAE(
        encoder=keras.layers.Identity(),
        posterior=posteriors.DiagonalGaussianPosterior(dz, log_var_range=None),
        prior=priors.StandardNormalPrior((dz,)),
        decoder=keras.layers.Identity(),
        likelihood=likelihoods.GaussianLikelihood((dx,), log_scale_init=np.log(sigma)))
    model.build((None, dx))
    model.posterior.loc_head.set_weights([a.T, -a @ b + posterior_shift])
    model.posterior.log_var_head.set_weights(
        [np.zeros((dx, dz)), np.log(np.diag(cov)) + posterior_log_var_shift])
    model.likelihood.projection.set_weights([w.T, b])
    return model


@pytest.fixture(scope="module")
def linear_gaussian():
    rng = np.random.RandomState(0)
    q, _ = np.linalg.qr(rng.randn(3, 2))
    w = (q * np.array([1.5, 0.7])).astype(np.float32)   # orthogonal columns
    b = rng.randn(3).astype(np.float32)
    sigma = 0.5
    x = rng.randn(6, 3).astype(np.float32) * 1.5
    exact = scipy.stats.multivariate_normal(b, w @ w.T + sigma**2 * np.eye(3)).logpdf(x)
    return w, b, sigma, x, exact


@pytest.mark.parametrize("chunk_size", [64, 7, 1])
def test_log_likelihood_exact_with_exact_posterior(linear_gaussian, chunk_size):
    # With q the true posterior every importance weight equals p(x), so the
    # estimate is exact whatever the samples and however they are chunked.
    w, b, sigma, x, exact = linear_gaussian
    model = _linear_gaussian_vae(w, b, sigma)
    ll = model.log_likelihood(x, num_samples=64, chunk_size=chunk_size, seed=1)
    np.testing.assert_allclose(ll.numpy(), exact, atol=2e-4)
    elbo = model.elbo_terms(x, num_samples=8, seed=2).elbo
    np.testing.assert_allclose(elbo.numpy(), exact, atol=2e-4)


def test_log_likelihood_within_monte_carlo_error_and_above_elbo(linear_gaussian):
    w, b, sigma, x, exact = linear_gaussian
    model = _linear_gaussian_vae(w, b, sigma, posterior_shift=0.3,
                                 posterior_log_var_shift=0.3)
    ll_one_chunk = model.log_likelihood(x, num_samples=20000, chunk_size=20000, seed=3)
    ll_chunked = model.log_likelihood(x, num_samples=20000, chunk_size=1999, seed=4)
    elbo = model.elbo_terms(x, num_samples=4000, seed=5).elbo.numpy()
    for ll in (ll_one_chunk.numpy(), ll_chunked.numpy()):
        np.testing.assert_allclose(ll, exact, atol=0.03)
    np.testing.assert_allclose(ll_one_chunk, ll_chunked, atol=0.03)
    # The perturbed q leaves a real gap, which importance sampling closes.
    assert np.all(exact - elbo > 0.1)
    assert np.all(ll_chunked.numpy() > elbo)


def test_log_likelihood_is_logmeanexp_of_log_weights(linear_gaussian):
    # The same seed gives the same samples, so the chunked estimator must
    # equal a direct numpy log-mean-exp of the per-sample log weights.
    w, b, sigma, x, _ = linear_gaussian
    model = _linear_gaussian_vae(w, b, sigma, posterior_shift=0.4)
    seed = tf.constant([9, 0], tf.int64)
    ll = model.log_likelihood(x, num_samples=50, chunk_size=50, seed=seed)
    features = model.encoder(x)
    log_px_z, log_pz, log_qz_x = model._log_weights(
        x, features, 50, zoo_random.fold_in(seed, 0), model.prior.distribution())
    log_w = (log_px_z + log_pz["z"] - log_qz_x["z"]).numpy()
    np.testing.assert_allclose(
        ll.numpy(), scipy.special.logsumexp(log_w, axis=0) - np.log(50), rtol=1e-5)


def test_importance_estimates_fold_chunks_into_logmeanexp_and_mean(linear_gaussian):
    # 23 samples in chunks of 5 (the last one short): chunk i draws from
    # fold_in(seed, i), so both estimates equal numpy on the concatenated weights.
    w, b, sigma, x, _ = linear_gaussian
    model = _linear_gaussian_vae(w, b, sigma, posterior_shift=0.4)
    seed = tf.constant([3, 1], tf.int64)
    estimates = model.importance_estimates(x, num_samples=23, chunk_size=5, seed=seed)
    features, prior = model.encoder(x), model.prior.distribution()
    def log_weights(i, n):
        log_px_z, log_pz, log_qz_x = model._log_weights(
            x, features, n, zoo_random.fold_in(seed, i), prior)
        return (log_px_z + log_pz["z"] - log_qz_x["z"]).numpy()

    log_w = np.concatenate([log_weights(i, n) for i, n in enumerate([5, 5, 5, 5, 3])])
    np.testing.assert_allclose(estimates["log_likelihood"].numpy(),
                               scipy.special.logsumexp(log_w, axis=0) - np.log(23), rtol=1e-5)
    np.testing.assert_allclose(estimates["elbo"].numpy(), log_w.mean(axis=0), rtol=1e-5)
    assert np.all(estimates["log_likelihood"].numpy() >= estimates["elbo"].numpy())


def _gated_forward(x, gated):
    affine = lambda dense: x @ dense.kernel.numpy() + dense.bias.numpy()
    return affine(gated.h) * scipy.special.expit(affine(gated.g))


def test_elbo_terms_match_hand_computation():
    model = build_gated_mlp_vae(input_shape=(2, 2, 1), latent_dim=2,
                                hidden_units=(3,), seed=0)
    x = np.array([[0, 1, 1, 0], [1, 1, 0, 0], [0, 0, 0, 1]], np.float32)
    terms = model.elbo_terms(x.reshape(3, 2, 2, 1), seed=7)

    h = _gated_forward(x, model.encoder.gated_layers[0])
    loc = h @ model.posterior.loc_head.kernel.numpy() + model.posterior.loc_head.bias.numpy()
    log_var = np.clip(h @ model.posterior.log_var_head.kernel.numpy()
                      + model.posterior.log_var_head.bias.numpy(), -6, 2)
    scale = np.exp(0.5 * log_var)
    eps = tf.random.stateless_normal([1, 3, 2], tf.constant([7, 0], tf.int64)).numpy()[0]
    z = loc + scale * eps
    g = _gated_forward(z, model.decoder.gated_layers[0])
    projection = model.likelihood.projection
    logits = g @ projection.kernel.numpy() + projection.bias.numpy()
    log_px_z = np.sum(x * logits - np.logaddexp(0, logits), axis=1)
    log_pz = scipy.stats.norm.logpdf(z).sum(axis=1)
    log_qz_x = scipy.stats.norm.logpdf(z, loc, scale).sum(axis=1)

    np.testing.assert_allclose(terms.log_px_z.numpy(), log_px_z, rtol=1e-5)
    np.testing.assert_allclose(terms.log_pz["z"].numpy(), log_pz, rtol=1e-5)
    np.testing.assert_allclose(terms.log_qz_x["z"].numpy(), log_qz_x, rtol=1e-5)
    np.testing.assert_allclose(terms.kl.numpy(), log_qz_x - log_pz, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(terms.elbo.numpy(), log_px_z - log_qz_x + log_pz,
                               rtol=1e-5)


def test_gradients_are_finite_and_reach_every_weight():
    model = build_gated_mlp_vae(input_shape=(4, 4, 1), latent_dim=3,
                                hidden_units=(8, 8), seed=1)
    x = (np.random.RandomState(0).rand(5, 4, 4, 1) > 0.5).astype(np.float32)
    with tf.GradientTape() as tape:
        loss = -tf.reduce_mean(model.elbo_terms(x).elbo)
    grads = tape.gradient(loss, model.trainable_variables)
    assert len(grads) == len(model.trainable_variables) == 22
    for g, v in zip(grads, model.trainable_variables):
        assert g is not None, v.path
        assert np.all(np.isfinite(g.numpy())), v.path
        assert np.any(g.numpy() != 0), v.path


def test_fit_improves_the_elbo():
    keras.utils.set_random_seed(0)        # fit's shuffling
    rng = np.random.RandomState(0)
    protos = rng.rand(4, 6, 6, 1) > 0.5
    x = protos[rng.randint(4, size=400)].astype(np.float32)
    model = build_gated_mlp_vae(input_shape=(6, 6, 1), latent_dim=4,
                                hidden_units=(32, 32), seed=2)
    model.compile(optimizer=keras.optimizers.Adam(3e-3), jit_compile=True)
    before = model.evaluate(x, batch_size=100, verbose=0, return_dict=True)
    history = model.fit(x, batch_size=50, epochs=15, verbose=0)
    after = model.evaluate(x, batch_size=100, verbose=0, return_dict=True)
    assert after["loss"] == pytest.approx(-after["elbo"], rel=1e-5)
    assert after["elbo"] > before["elbo"] + 5.0
    assert history.history["loss"][-1] < history.history["loss"][0]


def test_beta_weights_only_the_kl_in_the_training_loss():
    model = build_gated_mlp_vae(input_shape=(2, 2, 1), latent_dim=2,
                                hidden_units=(4,), seed=3)
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    x = np.ones((10, 2, 2, 1), np.float32)
    model.beta.assign(0.25)
    logs = model.train_on_batch(x, return_dict=True)
    assert logs["loss"] == pytest.approx(-(logs["log_px_z"] - 0.25 * logs["kl"]), rel=1e-5)


def test_keras_save_and_load_gives_identical_results(tmp_path):
    model = build_gated_mlp_vae(input_shape=(4, 4, 1), latent_dim=3,
                                hidden_units=(8,), seed=4)
    model.beta.assign(0.3)
    x = (np.random.RandomState(1).rand(5, 4, 4, 1) > 0.5).astype(np.float32)
    path = str(tmp_path / "vae.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert isinstance(loaded, VAE)
    assert float(loaded.beta.numpy()) == pytest.approx(0.3)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for key in ("log_px_z",):
        np.testing.assert_array_equal(getattr(model.elbo_terms(x, seed=5), key).numpy(),
                                      getattr(loaded.elbo_terms(x, seed=5), key).numpy())
    np.testing.assert_array_equal(model.elbo_terms(x, seed=5).kl.numpy(),
                                  loaded.elbo_terms(x, seed=5).kl.numpy())
    np.testing.assert_array_equal(
        model.log_likelihood(x, num_samples=20, chunk_size=6, seed=6).numpy(),
        loaded.log_likelihood(x, num_samples=20, chunk_size=6, seed=6).numpy())


def test_encode_decode_sample_shapes_and_ranges():
    model = build_gated_mlp_vae(input_shape=(4, 4, 1), latent_dim=3,
                                hidden_units=(8,), seed=5)
    x = np.zeros((2, 4, 4, 1), np.float32)
    encoded = model.encode(x, seed=1)
    assert {k: tuple(v.shape) for k, v in encoded.items()} == {
        "loc": (2, 3), "scale": (2, 3), "z": (2, 3)}
    assert np.all(encoded["scale"].numpy() >= np.exp(-3.0) - 1e-7)
    mean = model.decode(encoded["z"]).numpy()
    assert mean.shape == (2, 4, 4, 1) and np.all((mean > 0) & (mean < 1))
    s1, s2 = model.sample(7, seed=3), model.sample(7, seed=3)
    assert s1["x"].shape == (7, 4, 4, 1) and s1["z"].shape == (7, 3)
    assert set(np.unique(s1["x"].numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(s1["x"].numpy(), s2["x"].numpy())
    assert not np.array_equal(s1["z"].numpy(), model.sample(7, seed=4)["z"].numpy())


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

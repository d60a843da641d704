"""Checks every model family's tests share: it trains, IS >= ELBO, and the `.keras` round trip."""

import keras
import numpy as np
import tensorflow as tf


def assert_trains_bounds_and_round_trips(model, x, tmp_path, epochs, learning_rate=3e-3,
                                         min_gain=1.0):
    """Fits `model` on `x` and checks what any trained model must satisfy.

    - `fit` raises the mean ELBO of `x` (same posterior samples) by > `min_gain` nats;
    - the IS log-likelihood (40 samples) is at least the ELBO on every example;
    - a `.keras` save and load gives bit-identical IS log-likelihoods.

    Returns:
        The loaded model.
    """
    model.compile(keras.optimizers.Adam(learning_rate))
    before = float(tf.reduce_mean(model.elbo_terms(x, seed=0).elbo))
    model.fit(x, epochs=epochs, batch_size=16, verbose=0)
    after = float(tf.reduce_mean(model.elbo_terms(x, seed=0).elbo))
    assert after > before + min_gain, (before, after)
    estimates = model.importance_estimates(x[:4], 40, 20, seed=1)
    assert np.all(estimates["log_likelihood"].numpy() >= estimates["elbo"].numpy())

    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(loaded.log_likelihood(x[:4], 16, seed=2),
                                  model.log_likelihood(x[:4], 16, seed=2))
    return loaded

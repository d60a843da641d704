"""KL warm-up and checkpointing with early stopping."""

import json
import os

import keras
import numpy as np
import pytest

from trainers import callbacks
from zoo import files


@pytest.mark.parametrize("epoch,warmup,beta", [
    (0, 100, 0.01), (9, 100, 0.1), (99, 100, 1.0), (150, 100, 1.0), (0, 0, 1.0),
    (2, 4, 0.75)])
def test_warmup_beta(epoch, warmup, beta):
    assert callbacks.warmup_beta(epoch, warmup) == pytest.approx(beta)


def test_kl_warmup_ramps_to_the_final_beta():
    class WithBeta:
        beta = keras.Variable(0.0)

    warmup = callbacks.KLWarmup(4, final_beta=4.0)
    warmup.set_model(WithBeta())
    for epoch, beta in [(0, 1.0), (1, 2.0), (3, 4.0), (9, 4.0)]:
        warmup.on_epoch_begin(epoch)
        assert float(WithBeta.beta.numpy()) == pytest.approx(beta)


def _tiny_model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_checkpoint_early_stopping_and_state(tmp_path):
    directory = str(tmp_path)
    cb = callbacks.CheckpointAndEarlyStopping(directory, patience=1, start_epoch=1)
    cb.set_model(_tiny_model())
    losses = [5.0, 6.0, 4.0, 4.5, 4.2]         # epoch 2 (1-based) is within warm-up
    for epoch, loss in enumerate(losses):
        cb.on_epoch_end(epoch, {"val_loss": loss})
        if cb.model.stop_training:
            break
    # Best at epoch 3; epochs 4 and 5 do not improve: wait 2 > patience 1.
    assert epoch == 4
    state = json.load(open(os.path.join(directory, "state.json")))
    assert state == {"epoch": 5, "best": 4.0, "best_epoch": 3, "wait": 2,
                     "stopped_early": True, "checkpoint": "ckpt-5.weights.h5"}
    assert sorted(os.listdir(directory)) == ["best.keras", "ckpt-5.weights.h5", "state.json"]
    # A new callback on the same directory resumes the same state.
    assert callbacks.CheckpointAndEarlyStopping(directory, patience=1).state == state


def test_checkpoint_needs_the_monitored_value(tmp_path):
    cb = callbacks.CheckpointAndEarlyStopping(str(tmp_path), patience=1)
    cb.set_model(_tiny_model())
    with pytest.raises(KeyError, match="val_loss"):
        cb.on_epoch_end(0, {"loss": 1.0})


def test_a_crash_between_checkpoint_and_state_keeps_the_previous_checkpoint(tmp_path,
                                                                          monkeypatch):
    directory = str(tmp_path)
    model = _tiny_model()
    cb = callbacks.CheckpointAndEarlyStopping(directory, patience=5)
    cb.set_model(model)
    cb.on_epoch_end(0, {"val_loss": 3.0})
    saved = [w.numpy().copy() for w in model.weights]
    model.layers[0].kernel.assign(np.full((2, 1), 7.0, np.float32))

    def crash(path, payload):
        raise OSError("killed before state.json was replaced")

    monkeypatch.setattr(files, "write_json_atomically", crash)
    with pytest.raises(OSError, match="killed"):
        cb.on_epoch_end(1, {"val_loss": 4.0})
    monkeypatch.undo()
    # Epoch 2's file exists, but the state still names epoch 1, whose file is intact.
    assert os.path.exists(os.path.join(directory, "ckpt-2.weights.h5"))
    state = callbacks.CheckpointAndEarlyStopping.load_state(directory)
    assert state["epoch"] == 1 and state["checkpoint"] == "ckpt-1.weights.h5"
    restored = _tiny_model()
    restored.load_weights(os.path.join(directory, state["checkpoint"]))
    for a, b in zip(restored.weights, saved):
        np.testing.assert_array_equal(a.numpy(), b)
    # The resumed run overwrites the stray file and deletes the older one.
    resumed = callbacks.CheckpointAndEarlyStopping(directory, patience=5)
    resumed.set_model(restored)
    resumed.on_epoch_end(1, {"val_loss": 2.0})
    assert sorted(os.listdir(directory)) == ["best.keras", "ckpt-2.weights.h5", "state.json"]


def test_adam_norm_grad_steps_are_invariant_to_gradient_scale():
    from trainers.optimizers import AdamNormGrad
    results = []
    for scale in (1.0, 1000.0):
        var = keras.Variable(np.array([1.0, -2.0, 3.0], np.float32))
        opt = AdamNormGrad(learning_rate=0.1)
        for step in range(3):
            opt.apply_gradients([(scale * np.array([0.3, -0.1, step + 1.0], np.float32), var)])
        results.append(var.numpy())
    np.testing.assert_allclose(results[0], results[1], rtol=1e-5)
    # First step of Adam on a normalized gradient: lr * sign(g).
    var = keras.Variable(np.zeros(2, np.float32))
    AdamNormGrad(learning_rate=0.1).apply_gradients([(np.array([3.0, -4.0], np.float32), var)])
    np.testing.assert_allclose(var.numpy(), [-0.1, 0.1], rtol=1e-4)


def test_best_model_holds_the_polyak_averages_and_the_checkpoint_the_raw_weights(tmp_path):
    from tests.tiny_models import IMAGE_SHAPE, tiny_vae
    from trainers.optimizers import build_optimizer

    momentum = 0.7
    model = tiny_vae("standard")
    model.compile(build_optimizer("adamax", 1e-2, ema_momentum=momentum), steps_per_execution=1)
    x = (np.random.RandomState(0).rand(48, *IMAGE_SHAPE) > 0.5).astype("float32")
    variables = model.trainable_variables
    # Polyak averaging in numpy, as Keras defines it: the first step copies the
    # weights, then average <- m * average + (1 - m) * weight after every step.
    average = [v.numpy().copy() for v in variables]

    class Reference(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            m = momentum if batch > 0 else 0.0
            for a, v in zip(average, variables):
                a *= m
                a += (1 - m) * v.numpy()
            self.raw = [v.numpy().copy() for v in variables]

    reference = Reference()
    checkpointer = callbacks.CheckpointAndEarlyStopping(str(tmp_path), patience=5)
    model.fit(x, validation_data=(x[:16],), epochs=1, batch_size=16, verbose=0,
              callbacks=[reference, keras.callbacks.SwapEMAWeights(), checkpointer])
    raw = reference.raw
    assert max(np.max(np.abs(r - a)) for r, a in zip(raw, average)) > 1e-3

    best = keras.saving.load_model(str(tmp_path / "best.keras"))
    for loaded, expected in zip(best.trainable_variables, average):
        np.testing.assert_allclose(loaded.numpy(), expected, rtol=1e-5, atol=1e-6)
    # Keras's fit ends by copying the averages into the model ...
    for variable, expected in zip(variables, average):
        np.testing.assert_allclose(variable.numpy(), expected, rtol=1e-5, atol=1e-6)
    # ... and the resume checkpoint holds the raw weights, to continue their trajectory.
    resumed = tiny_vae("standard")
    resumed.compile(build_optimizer("adamax", 1e-2, ema_momentum=momentum))
    resumed.optimizer.build(resumed.trainable_variables)
    resumed.load_weights(str(tmp_path / checkpointer.state["checkpoint"]))
    # Keras's SwapEMAWeights swaps in place by additions (a += b; b = a - b; a -= b), which
    # rounds: the raw weights come back from a validation within an ulp or two, not bit-equal.
    for variable, value in zip(resumed.trainable_variables, raw):
        np.testing.assert_allclose(variable.numpy(), value, rtol=1e-6, atol=1e-7)

    with pytest.raises(ValueError, match=r"ema_momentum must be in \(0, 1\)"):
        build_optimizer("adam", 1e-3, ema_momentum=1.0)


def test_free_bits_per_data_dimension_scale_with_the_data():
    from trainers.config import TrainConfig

    assert TrainConfig(free_bits_per_data_dim=0.01).free_bits_per_group((28, 28, 1)) == \
        pytest.approx(7.84)
    assert TrainConfig(free_bits=2.0).free_bits_per_group((28, 28, 1)) == 2.0
    assert TrainConfig().free_bits_per_group((28, 28, 1)) == 0.0
    with pytest.raises(ValueError, match="not both"):
        TrainConfig(free_bits=1.0, free_bits_per_data_dim=0.01)


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

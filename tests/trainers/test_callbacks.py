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
                     "stopped_early": True, "checkpoint": "ckpt-5.weights.h5",
                     "previous": "ckpt-4.weights.h5"}
    # The last two checkpoints are kept, each with its state.
    assert sorted(os.listdir(directory)) == ["best.keras", "ckpt-4.json", "ckpt-4.weights.h5",
                                             "ckpt-5.json", "ckpt-5.weights.h5", "state.json"]
    assert json.load(open(os.path.join(directory, "ckpt-5.json"))) == state
    assert json.load(open(os.path.join(directory, "ckpt-4.json")))["wait"] == 1
    # A new callback on the same directory resumes the same state.
    assert callbacks.CheckpointAndEarlyStopping(directory, patience=1).state == state


def test_checkpoint_needs_the_monitored_value(tmp_path):
    cb = callbacks.CheckpointAndEarlyStopping(str(tmp_path), patience=1)
    cb.set_model(_tiny_model())
    with pytest.raises(KeyError, match="val_loss"):
        cb.on_epoch_end(0, {"loss": 1.0})


def _three_epochs(directory):
    """A callback after three epochs in `directory`, and the weights after each epoch."""
    model = _tiny_model()
    cb = callbacks.CheckpointAndEarlyStopping(directory, patience=5)
    cb.set_model(model)
    weights = []
    for epoch, loss in enumerate([3.0, 2.0, 2.5]):
        model.layers[0].kernel.assign(np.full((2, 1), float(epoch), np.float32))
        cb.on_epoch_end(epoch, {"val_loss": loss})
        weights.append([w.numpy().copy() for w in model.weights])
    return cb, weights


def _assert_weights(model, expected):
    for a, b in zip(model.weights, expected):
        np.testing.assert_array_equal(a.numpy(), b)


@pytest.mark.parametrize("failing", ["best.keras", "ckpt-4.weights.h5", "ckpt-4.json",
                                     "state.json"])
def test_a_failed_write_leaves_the_checkpoints_as_they_were_and_names_the_file(
        failing, tmp_path, monkeypatch):
    directory = str(tmp_path)
    cb, _ = _three_epochs(directory)
    before = {name: open(os.path.join(directory, name), "rb").read()
              for name in os.listdir(directory)}

    def half_written(path, *_):
        with open(path, "wb") as f:
            f.write(b"half")
        raise OSError(28, "No space left on device")

    if failing == "best.keras":
        monkeypatch.setattr(cb, "_save_best", half_written)
    elif failing == "ckpt-4.weights.h5":
        monkeypatch.setattr(cb.model, "save_weights", half_written)
    else:
        real = files.write_json
        monkeypatch.setattr(files, "write_json", lambda path, payload: (
            half_written(path) if os.path.basename(path).startswith(failing)
            else real(path, payload)))
    with pytest.raises(callbacks.CheckpointError) as error:
        cb.on_epoch_end(3, {"val_loss": 1.0})   # a new best: every file is written
    name = ".partial-best.keras" if failing == "best.keras" else failing + (
        ".tmp" if failing == "state.json" else "")
    assert str(error.value).startswith(f"Could not write {os.path.join(directory, name)} "
                                       f"(OSError: [Errno 28] No space left on device); the "
                                       f"checkpoints are as they were after epoch 3.")
    after = {name: open(os.path.join(directory, name), "rb").read()
             for name in os.listdir(directory)}
    assert after == before and cb.state["epoch"] == 3


def test_a_newest_checkpoint_that_does_not_load_falls_back_to_the_previous_one(
        tmp_path, capsys):
    directory = str(tmp_path)
    _, weights = _three_epochs(directory)
    newest = os.path.join(directory, "ckpt-3.weights.h5")
    with open(newest, "r+b") as f:
        f.truncate(os.path.getsize(newest) // 2)   # a checkpoint cut short
    resumed = callbacks.CheckpointAndEarlyStopping(directory, patience=5)
    model = _tiny_model()
    assert resumed.restore(model) == 2
    warning = capsys.readouterr().err
    _assert_weights(model, weights[1])
    assert resumed.state == json.load(open(os.path.join(directory, "ckpt-2.json")))
    assert warning.startswith(f"Warning: Could not load the newest checkpoint {newest} (")
    assert warning.endswith(f"; resuming from the previous one, {directory}/ckpt-2.weights.h5 "
                            f"(epoch 2).\n")
    # Neither loads: an error naming both.
    with open(os.path.join(directory, "ckpt-2.weights.h5"), "wb") as f:
        f.write(b"not hdf5")
    with pytest.raises(callbacks.CheckpointError, match=(
            rf"No checkpoint in {directory} loads: {newest} \(.*\); "
            rf"{directory}/ckpt-2.weights.h5 \(.*\)\. Delete {directory} to train")):
        callbacks.CheckpointAndEarlyStopping(directory, patience=5).restore(_tiny_model())


def test_an_unreadable_state_is_rebuilt_from_the_checkpoints_states(tmp_path, capsys):
    directory = str(tmp_path)
    cb, weights = _three_epochs(directory)
    state_path = os.path.join(directory, "state.json")
    text = open(state_path).read()
    with open(state_path, "w") as f:
        f.write(text[:len(text) // 2])            # cut short
    resumed = callbacks.CheckpointAndEarlyStopping(directory, patience=5)
    assert resumed.state == cb.state
    warning = capsys.readouterr().err
    assert warning.startswith(f"Warning: {state_path} is unreadable (not JSON: ")
    assert warning.endswith("; rebuilt from ckpt-3.json (epoch 3).\n")
    model = _tiny_model()
    assert resumed.restore(model) == 3
    _assert_weights(model, weights[2])
    # Nothing to rebuild it from: the error names the file and the ways out.
    for name in ("ckpt-2.json", "ckpt-3.json"):
        os.remove(os.path.join(directory, name))
    with pytest.raises(callbacks.CheckpointError, match=(
            rf"{state_path} is unreadable \(not JSON: .*\) and no ckpt-<epoch>.json beside it "
            rf"rebuilds it\. Restore the file, or delete {directory} to train from the start\.")):
        callbacks.CheckpointAndEarlyStopping(directory, patience=5)


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

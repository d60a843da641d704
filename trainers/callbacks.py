"""Training callbacks: KL warm-up, and checkpointing with early stopping that survives restarts."""

import json
import os

import keras

__all__ = ["CheckpointAndEarlyStopping", "KLWarmup", "warmup_beta"]


def warmup_beta(epoch, warmup_epochs):
    """KL weight of 0-based `epoch`: min(1, (epoch + 1) / warmup_epochs), as the
    VampPrior code counts epochs from 1; 1 without warm-up."""
    if warmup_epochs <= 0:
        return 1.0
    return min(1.0, (epoch + 1) / warmup_epochs)


class KLWarmup(keras.callbacks.Callback):
    """Sets `model.beta` at the start of every epoch and logs it as "beta"."""

    def __init__(self, warmup_epochs):
        super().__init__()
        self.warmup_epochs = warmup_epochs

    def on_epoch_begin(self, epoch, logs=None):
        self.model.beta.assign(warmup_beta(epoch, self.warmup_epochs))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = float(self.model.beta.numpy())


def _write_json_atomically(path, payload):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(payload, f, indent=2, sort_keys=True)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


class CheckpointAndEarlyStopping(keras.callbacks.Callback):
    """End-of-epoch checkpoint, best model, and early stopping with look-ahead.

    After every epoch it writes, in `directory`:
      - `ckpt-<epoch>.weights.h5`: weights and optimizer state, then
        `state.json` naming it (replaced atomically, so the latest state always
        names a complete file; older checkpoints are deleted after that);
      - `best.keras`: the whole model at the lowest `monitor` so far (written to
        a temporary file and renamed).
    Training stops once `monitor` has not improved for more than `patience`
    epochs, counting only epochs after `start_epoch` (the KL warm-up, as in the
    VampPrior code).

    Keras's `BackupAndRestore`, `ModelCheckpoint` and `EarlyStopping` do parts
    of this, but their best value and patience counter are not saved, so a
    resumed run would forget its best model; hence one callback owning that
    state and saving it with the checkpoint.
    """

    STATE = "state.json"
    BEST = "best.keras"

    def __init__(self, directory, patience, start_epoch=0, monitor="val_loss"):
        super().__init__()
        self.directory = directory
        self.patience = patience
        self.start_epoch = start_epoch
        self.monitor = monitor
        self.state = self.load_state(directory) or {
            "epoch": 0, "best": None, "best_epoch": None, "wait": 0,
            "stopped_early": False, "checkpoint": None}

    @classmethod
    def load_state(cls, directory):
        """The saved state dict, or None when there is no checkpoint yet."""
        path = os.path.join(directory, cls.STATE)
        if not os.path.exists(path):
            return None
        with open(path) as f:
            return json.load(f)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"{self.monitor!r} is not in the epoch logs "
                           f"({sorted(logs or {})}); is validation data passed?")
        state = dict(self.state, epoch=epoch + 1)
        if state["best"] is None or value < state["best"]:
            state.update(best=float(value), best_epoch=epoch + 1, wait=0)
            tmp = os.path.join(self.directory, ".best-tmp.keras")
            self.model.save(tmp)
            os.replace(tmp, os.path.join(self.directory, self.BEST))
        elif epoch + 1 > self.start_epoch:
            state["wait"] += 1
        if state["wait"] > self.patience:
            state["stopped_early"] = True
            self.model.stop_training = True
        checkpoint = f"ckpt-{epoch + 1}.weights.h5"
        self.model.save_weights(os.path.join(self.directory, checkpoint))
        state["checkpoint"] = checkpoint
        _write_json_atomically(os.path.join(self.directory, self.STATE), state)
        for name in os.listdir(self.directory):
            if name.startswith("ckpt-") and name != checkpoint:
                os.remove(os.path.join(self.directory, name))
        self.state = state

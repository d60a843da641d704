"""Training callbacks: KL warm-up, checkpointing with early stopping that survives restarts,
the non-finite-step guard, image summaries, and fault injection for the kill-and-resume tests."""

import os
import signal

import keras
import numpy as np
from absl import logging

from trainers.checkpoint_state import CheckpointError, checkpoint_states, read_state, state_file
from zoo import files
from zoo.errors import UserError, warn_user

__all__ = ["CheckpointAndEarlyStopping", "CheckpointError", "ImageSummaries", "KLWarmup",
           "KillAtStep", "NonFiniteGuard", "NonFiniteTrainingError", "warmup_beta"]


def warmup_beta(epoch, warmup_epochs):
    """KL weight of 0-based `epoch`: min(1, (epoch + 1) / warmup_epochs), as the
    VampPrior code counts epochs from 1; 1 without warm-up."""
    if warmup_epochs <= 0:
        return 1.0
    return min(1.0, (epoch + 1) / warmup_epochs)


class KLWarmup(keras.callbacks.Callback):
    """Sets `model.beta` at the start of every epoch and logs it as "beta".

    beta = final_beta * warmup_beta(epoch): the warm-up ramps the KL weight to
    `final_beta` (1 for the ELBO, another value for a beta-VAE).
    """

    def __init__(self, warmup_epochs, final_beta=1.0):
        super().__init__()
        self.warmup_epochs = warmup_epochs
        self.final_beta = float(final_beta)

    def on_epoch_begin(self, epoch, logs=None):
        self.model.beta.assign(self.final_beta * warmup_beta(epoch, self.warmup_epochs))

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["beta"] = float(self.model.beta.numpy())


class CheckpointAndEarlyStopping(keras.callbacks.Callback):
    """End-of-epoch checkpoint, best model, and early stopping with look-ahead.

    After every epoch it writes, in `write_directory` (default: `directory`):
      - `ckpt-<epoch>.weights.h5`: weights and optimizer state, and
        `ckpt-<epoch>.json`, the state below at that epoch; the last two
        checkpoints are kept, older ones deleted;
      - `state.json`: the latest state (epoch, best value and epoch, patience
        counter, `checkpoint` and `previous`, the two kept checkpoints);
      - `best.keras`: the whole model at the lowest `monitor` so far; with an
        optimizer EMA (Polyak averaging), with the averaged weights, those
        `keras.callbacks.SwapEMAWeights` validates.
    Every file is flushed before `state.json` names it, and the files that
    replace others (`best.keras`, `state.json`) are written under temporary
    names and renamed last, so a process killed at any moment loses at most the
    epoch in progress, and a write that fails (a full disk) leaves the
    directory as it was before that epoch's save and raises `CheckpointError`
    naming the file. On resume (`restore`), a newest checkpoint that does not
    load falls back to the previous one, with a warning naming both; an
    unreadable `state.json` is rebuilt from the `ckpt-<epoch>.json` files.
    The state to resume from is read from `directory`: a non-chief worker reads
    the chief's and writes its own copies to a temporary folder.
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

    def __init__(self, directory, patience, start_epoch=0, monitor="val_loss",
                 write_directory=None):
        super().__init__()
        self.directory = directory
        self.write_directory = write_directory or directory
        self.patience = patience
        self.start_epoch = start_epoch
        self.monitor = monitor
        self.state = self.load_state(directory) or {
            "epoch": 0, "best": None, "best_epoch": None, "wait": 0,
            "stopped_early": False, "checkpoint": None, "previous": None}

    @classmethod
    def load_state(cls, directory):
        """The saved state dict, or None when there is no checkpoint yet.

        An unreadable `state.json` is rebuilt from the newest readable
        `ckpt-<epoch>.json` whose checkpoint exists, with a warning.

        Raises:
            CheckpointError: `state.json` is unreadable and nothing rebuilds it.
        """
        path = os.path.join(directory, cls.STATE)
        if not os.path.exists(path):
            return None
        try:
            return read_state(path)
        except ValueError as e:
            problem = e
        for state in checkpoint_states(directory):
            warn_user(f"{path} is unreadable ({problem}); rebuilt from "
                      f"{state_file(state['checkpoint'])} (epoch {state['epoch']}).")
            return state
        raise CheckpointError(
            f"{path} is unreadable ({problem}) and no ckpt-<epoch>.json beside it rebuilds it. "
            f"Restore the file, or delete {directory} to train from the start.")

    def restore(self, model):
        """Loads the newest checkpoint that loads into `model` (weights and optimizer state)
        and makes its state current; returns the epoch it was saved after.

        Raises:
            CheckpointError: no kept checkpoint loads (the message names each and why).
        """
        candidates = [self.state]
        if self.state.get("previous"):
            try:
                candidates.append(read_state(os.path.join(
                    self.directory, state_file(self.state["previous"]))))
            except (OSError, ValueError) as e:
                warn_user(f"The previous checkpoint's state is unreadable: {e}")
        failures = []
        for state in candidates:
            path = os.path.join(self.directory, state["checkpoint"])
            try:
                model.load_weights(path)
            except Exception as e:   # h5py raises OSError, KeyError or ValueError alike
                failures.append(f"{path} ({type(e).__name__}: {e})")
                continue
            if failures:
                warn_user(f"Could not load the newest checkpoint {failures[0]}; resuming from "
                          f"the previous one, {path} (epoch {state['epoch']}).")
            self.state = state
            return state["epoch"]
        raise CheckpointError(
            f"No checkpoint in {self.directory} loads: {'; '.join(failures)}. Delete "
            f"{self.directory} to train from the start.")

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"{self.monitor!r} is not in the epoch logs "
                           f"({sorted(logs or {})}); is validation data passed?")
        state = dict(self.state, epoch=epoch + 1, checkpoint=f"ckpt-{epoch + 1}.weights.h5",
                     previous=self.state["checkpoint"])
        improved = state["best"] is None or value < state["best"]
        if improved:
            state.update(best=float(value), best_epoch=epoch + 1, wait=0)
        elif epoch + 1 > self.start_epoch:
            state["wait"] += 1
        if state["wait"] > self.patience:
            state["stopped_early"] = True
            self.model.stop_training = True
        self._save(state, improved)
        self.state = state

    def _save(self, state, improved):
        """Writes this epoch's files under temporary names, then renames them into place;
        a failed write removes what it wrote and raises `CheckpointError`."""
        folder = self.write_directory
        best_tmp = os.path.join(folder, f".partial-{self.BEST}")
        state_tmp = os.path.join(folder, self.STATE + ".tmp")
        written, path = [], None
        try:
            if improved:
                written.append(path := best_tmp)
                self._save_best(best_tmp)
                files.fsync(best_tmp)
            written.append(path := os.path.join(folder, state["checkpoint"]))
            self.model.save_weights(path)
            files.fsync(path)
            written.append(path := os.path.join(folder, state_file(state["checkpoint"])))
            files.write_json(path, state)
            written.append(path := state_tmp)
            files.write_json(path, state)
        except Exception as e:
            for name in written:
                if os.path.exists(name):
                    os.remove(name)
            before = (f"after epoch {self.state['epoch']}" if self.state["checkpoint"] else
                      "without a checkpoint")
            raise CheckpointError(
                f"Could not write {path} ({type(e).__name__}: {e}); the checkpoints are as they "
                f"were {before}. Free space or fix the folder and run the same command to "
                f"resume.") from e
        if improved:
            os.replace(best_tmp, os.path.join(folder, self.BEST))
        os.replace(state_tmp, os.path.join(folder, self.STATE))
        kept = {state["checkpoint"], state_file(state["checkpoint"])}
        if state["previous"]:
            kept |= {state["previous"], state_file(state["previous"])}
        for name in os.listdir(folder):
            if name.startswith("ckpt-") and name not in kept:
                os.remove(os.path.join(folder, name))

    def _save_best(self, path):
        """Saves the model; with an optimizer EMA, with the averaged weights (raw ones restored).

        The resume checkpoint keeps the raw weights (and the averages in the
        optimizer state), so a resumed run continues the same trajectory.
        """
        optimizer = self.model.optimizer
        if not getattr(optimizer, "use_ema", False):
            self.model.save(path)
            return
        variables = self.model.trainable_variables
        raw = [np.array(keras.ops.convert_to_numpy(v), copy=True) for v in variables]
        optimizer.finalize_variable_values(variables)   # the averages into the model
        try:
            self.model.save(path)
        finally:
            for variable, value in zip(variables, raw):
                variable.assign(value)


class NonFiniteTrainingError(UserError, RuntimeError):
    """Too many consecutive training steps had a non-finite loss or gradient."""


class NonFiniteGuard(keras.callbacks.Callback):
    """Logs the skipped non-finite steps and stops after `max_consecutive` in a row.

    The model skips such steps itself (`VAE.train_step`) and counts them in
    `nonfinite_steps` and `consecutive_nonfinite_steps`. This callback reads the
    counters after every call into the train function (every
    `steps_per_execution` steps), logs each epoch's skipped steps and their
    total ("nonfinite_steps" in the epoch logs), and raises
    `NonFiniteTrainingError` once `max_consecutive` steps in a row were skipped.
    Skipped steps change no weight, so the last checkpoint is good; the error
    names it.

    Args:
        max_consecutive: the limit (>= 1).
        checkpointer: the run's `CheckpointAndEarlyStopping`, to name its checkpoint.
    """

    def __init__(self, max_consecutive, checkpointer=None):
        super().__init__()
        if max_consecutive < 1:
            raise ValueError(f"max_consecutive must be at least 1; got {max_consecutive}.")
        self.max_consecutive = int(max_consecutive)
        self.checkpointer = checkpointer
        self._at_epoch_start = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._at_epoch_start = int(self.model.nonfinite_steps.numpy())

    def on_train_batch_end(self, batch, logs=None):
        consecutive = int(self.model.consecutive_nonfinite_steps.numpy())
        if consecutive >= self.max_consecutive:
            total = int(self.model.nonfinite_steps.numpy())
            kept = "no checkpoint yet"
            if self.checkpointer is not None and self.checkpointer.state["checkpoint"]:
                kept = os.path.join(self.checkpointer.directory,
                                    self.checkpointer.state["checkpoint"])
            raise NonFiniteTrainingError(
                f"{consecutive} consecutive training steps had a non-finite loss or gradient "
                f"(limit {self.max_consecutive}; {total} skipped in this run); stopping. "
                f"Skipped steps change no weight; the last good checkpoint is kept: {kept}.")

    def on_epoch_end(self, epoch, logs=None):
        total = int(self.model.nonfinite_steps.numpy())
        if logs is not None:
            logs["nonfinite_steps"] = total
        if total > self._at_epoch_start:
            logging.warning("Epoch %d: skipped %d steps with a non-finite loss or gradient "
                            "(%d in this run).", epoch + 1, total - self._at_epoch_start, total)


class ImageSummaries(keras.callbacks.Callback):
    """At the end of training, writes two images to TensorBoard (`<log_dir>/images`):
    "samples", a grid of 64 sample means, and "reconstructions", `images` above the
    means of p(x | z) at their posterior means.

    Args:
        log_dir: the TensorBoard folder.
        images: `[n, *event_shape]` validation images in [0, 1] (16 is a row).
    """

    def __init__(self, log_dir, images, seed=0):
        super().__init__()
        self.log_dir, self.images, self.seed = log_dir, np.asarray(images, np.float32), seed

    def on_train_end(self, logs=None):
        import tensorflow as tf

        from zoo.images import image_grid

        model = self.model
        samples = model.sample(64, seed=tf.constant([self.seed, 0], tf.int64))["mean"]
        group = model.LATENT_GROUPS[-1]
        means = model.posterior_moments(self.images, seed=self.seed)[group][0]
        pairs = np.concatenate([self.images, np.asarray(model.decode(means))])
        step = int(model.optimizer.iterations.numpy())
        with tf.summary.create_file_writer(os.path.join(self.log_dir, "images")).as_default():
            for name, grid in (("samples", image_grid(np.asarray(samples), cols=8)),
                               ("reconstructions", image_grid(pairs, cols=len(self.images)))):
                tf.summary.image(name, grid[None], step=step)


class KillAtStep(keras.callbacks.Callback):
    """Fault injection: SIGKILLs this process after global training step `step` (from 1).

    Used by the kill-and-resume tests through the training program's
    `ZOO_FAULT_KILL_AT_STEP` environment variable; never active otherwise. Steps
    are counted across epochs, from epoch 0, so a resumed run counts on.
    """

    def __init__(self, step, steps_per_epoch):
        super().__init__()
        self.step = int(step)
        self.steps_per_epoch = int(steps_per_epoch)
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self._epoch * self.steps_per_epoch + batch + 1 >= self.step:
            os.kill(os.getpid(), signal.SIGKILL)


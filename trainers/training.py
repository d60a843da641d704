"""Runs one experiment in a workdir: data, model, `fit` with callbacks, evaluation.

Workdir layout (written by the chief only; see `trainers/strategies.py`):
    config.json                  the resolved ExperimentConfig, the data dir and the
                                 command of the latest run
    checkpoints/state.json       last completed epoch, best value, patience counter, and
                                 the last two checkpoints' names
    checkpoints/ckpt-N.weights.h5  weights + optimizer state after epoch N (two kept)
    checkpoints/ckpt-N.json      the state after epoch N (rebuilds an unreadable state.json)
    checkpoints/best.keras       the model at the best validation loss
    tensorboard/                 TensorBoard logs
    evaluation.json              test metrics of the best model
"""

import contextlib
import dataclasses
import hashlib
import json
import os
import shutil
import tempfile
import time

import keras
import numpy as np
import tensorflow as tf
from absl import logging

from trainers import callbacks as zoo_callbacks
from trainers import cpu_features, optimizers, pipelines, strategies
from trainers.config import config_from_dict
from trainers.evaluation import evaluate_test_set, write_evaluation, write_per_example
from trainers.workdir_lock import workdir_lock
from zoo import datasets, files, likelihoods
from zoo.errors import ConfigError
from zoo.models import build_model

__all__ = ["compiled_model", "evaluate_workdir", "load_best_model", "load_data",
           "load_workdir_command", "load_workdir_config",
           "train_and_evaluate", "weights_digest"]

CONFIG = "config.json"
CHECKPOINTS = "checkpoints"
# Fault injection for the kill-and-resume tests: SIGKILL after this global step.
FAULT_KILL_AT_STEP = "ZOO_FAULT_KILL_AT_STEP"


def load_workdir_config(workdir):
    """The `(ExperimentConfig, data_dir)` saved in a workdir."""
    path = os.path.join(workdir, CONFIG)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: {workdir} is not a training workdir.")
    with open(path) as f:
        saved = json.load(f)
    return config_from_dict(saved["experiment"]), saved.get("data_dir")


def load_workdir_command(workdir):
    """The command line of the workdir's latest training run (None if not recorded)."""
    with open(os.path.join(workdir, CONFIG)) as f:
        return json.load(f).get("command")


def _save_workdir_config(workdir, config, data_dir, command=None):
    """Saves the config; a workdir holding a different model or dataset is refused."""
    path = os.path.join(workdir, CONFIG)
    if os.path.exists(path):
        previous, _ = load_workdir_config(workdir)
        if (previous.model, previous.data) != (config.model, config.data):
            raise ConfigError(
                f"{workdir} holds a run of a different model or dataset "
                f"({previous.name}: {previous.model}, {previous.data}); use a new --workdir.")
    files.write_json_atomically(path, {"experiment": dataclasses.asdict(config),
                                       "data_dir": data_dir, "command": command})


def compiled_model(config, image_shape, jit_compile=None):
    """The experiment's model, seeded, built and compiled with its optimizer.

    Builds under the current `tf.distribute` strategy's scope (call it inside
    `strategy.scope()`). `jit_compile` overrides the config's.
    """
    keras.utils.set_random_seed(config.train.seed)
    model = build_model(config.model, image_shape, seed=config.train.seed)
    train = config.train
    model.compile(optimizer=optimizers.build_optimizer(train.optimizer, train.learning_rate,
                                                      train.clip_norm, train.ema_momentum),
                  jit_compile=train.jit_compile if jit_compile is None else jit_compile,
                  steps_per_execution=train.steps_per_execution)
    model.train_gated_conv_dtype = train.gated_conv_dtype
    if train.gated_conv_dtype == "bfloat16" and not cpu_features.native_bfloat16():
        logging.warning("gated_conv_dtype bfloat16 on a CPU without native bfloat16 "
                        "(no avx512_bf16 or amx_bf16 in /proc/cpuinfo): it is emulated, "
                        "likely slower than float32.")
    return model


def train_and_evaluate(config, workdir, data_dir=None, verbose=1, command=None, strategy=None):
    """Trains `config` in `workdir` (resuming its checkpoint if any) and evaluates.

    `command`, the command line that asked for it, is recorded in config.json.

    Under a distributed `strategy` (default: the current one) `config.data.batch_size`
    is the global batch, split over the replicas, and the steps run without XLA
    (XLA cannot compile a step whose variables live on several devices). Only
    the chief writes the workdir and evaluates; another worker trains, writing
    its copies to a temporary folder it then deletes, and returns its training
    statistics. The chief holds the workdir's lock (`trainers.workdir_lock`) throughout.

    Returns:
        The evaluation dict also written to `<workdir>/evaluation.json` (a
        non-chief worker: the training statistics).
    """
    strategy = strategy or tf.distribute.get_strategy()
    role = strategies.worker_role(strategy)
    # One writer per workdir: the chief holds it (other workers write temporary folders).
    lock = (workdir_lock(workdir, "trainers.train") if role.is_chief
            else contextlib.nullcontext())
    with lock:
        return _train_and_evaluate(config, workdir, data_dir, verbose, command, strategy, role)


def _train_and_evaluate(config, workdir, data_dir, verbose, command, strategy, role):
    checkpoint_dir = os.path.join(workdir, CHECKPOINTS)
    # The data and the model first: a missing or damaged file, a likelihood that does not
    # model the pixels or an image shape the architecture cannot take stops the run before
    # the workdir is written.
    splits = load_data(config.data, data_dir)
    likelihoods.check_likelihood_fits(config.model.likelihood, splits.spec.pixels)
    distributed = isinstance(strategy, (tf.distribute.MirroredStrategy,
                                        tf.distribute.MultiWorkerMirroredStrategy))
    run_config = config
    if distributed and config.train.steps_per_execution != 1:
        # Keras 3.15's multi-step loop fails under MirroredStrategy and
        # MultiWorkerMirroredStrategy ("You must feed a value for placeholder
        # tensor 'while/cond/...'"); tests/trainers/test_distributed.py and
        # test_multi_worker.py tell when it no longer does.
        logging.info("Distributed: steps_per_execution %d -> 1.",
                     config.train.steps_per_execution)
        run_config = dataclasses.replace(
            config, train=dataclasses.replace(config.train, steps_per_execution=1))
    with strategy.scope():
        model = compiled_model(run_config, splits.image_shape,
                               jit_compile=False if distributed else None)
    if role.is_chief:
        os.makedirs(checkpoint_dir, exist_ok=True)
        _save_workdir_config(workdir, config, data_dir, command)
        write_dir = workdir
    else:
        write_dir = tempfile.mkdtemp(prefix=f"zoo-{role.task.replace('/', '-')}-")
        os.makedirs(os.path.join(write_dir, CHECKPOINTS))
    try:
        training = _train(model, run_config, strategy, splits, checkpoint_dir, write_dir,
                          verbose)
    finally:
        if not role.is_chief:
            shutil.rmtree(write_dir, ignore_errors=True)
    if not role.is_chief:
        strategies.barrier(strategy)   # Stay in the cluster while the chief evaluates.
        return dict(training, task=role.task)
    results = evaluate_workdir(workdir, data_dir=data_dir, extra=training, splits=splits,
                               progress=verbose > 0)
    strategies.barrier(strategy)
    return results


def load_data(data_config, data_dir=None):
    """The `Splits` a `DataConfig` names (its dataset or file, with its pixels)."""
    return datasets.load_splits(data_config.name, data_dir,
                                validation_size=data_config.validation_size,
                                pixels=data_config.pixels)


def _train(model, config, strategy, splits, checkpoint_dir, write_dir, verbose):
    """Fits the compiled `model` (resuming its checkpoint) under `strategy`; returns training
    statistics."""
    train_cfg = config.train
    checkpointer = zoo_callbacks.CheckpointAndEarlyStopping(
        checkpoint_dir, patience=train_cfg.patience, start_epoch=train_cfg.warmup_epochs,
        write_directory=os.path.join(write_dir, CHECKPOINTS))
    initial_epoch = _restore_or_initialize(model, checkpointer, strategy, splits,
                                           train_cfg.seed)
    start = time.time()
    if initial_epoch < train_cfg.epochs and not checkpointer.state["stopped_early"]:
        _fit(model, config, strategy, splits, checkpointer, initial_epoch, write_dir, verbose)
    return {"epochs_trained": checkpointer.state["epoch"],
            "resumed_from_epoch": initial_epoch,
            "best_epoch": checkpointer.state["best_epoch"],
            "best_val_loss": checkpointer.state["best"],
            "stopped_early": checkpointer.state["stopped_early"],
            "nonfinite_steps_this_run": int(model.nonfinite_steps.numpy()),
            "optimizer_steps": int(model.optimizer.iterations.numpy()),
            "weights_sha256": weights_digest(model),
            "replicas": strategy.num_replicas_in_sync,
            "train_seconds_this_run": time.time() - start}


def _restore_or_initialize(model, checkpointer, strategy, splits, seed):
    """Loads the checkpoint the checkpointer's state names, or initializes the model from data
    (flow priors' actnorm, "data" pseudo-inputs); returns the epoch training starts from."""
    if checkpointer.state["checkpoint"]:
        with strategy.scope():
            model.optimizer.build(model.trainable_variables)
            checkpointer.restore(model)
        print(f"Resuming from epoch {checkpointer.state['epoch']} "
              f"({checkpointer.state['checkpoint']}).")
    elif model.initialization_examples:
        with strategy.scope():
            model.initialize_from_data(_initialization_batch(
                splits, model.initialization_examples, seed))
    return checkpointer.state["epoch"]


def _fit(model, config, strategy, splits, checkpointer, initial_epoch, write_dir, verbose):
    """`model.fit` from `initial_epoch` to the schedule's end with the training callbacks."""
    train_cfg = config.train
    batch = config.data.batch_size
    steps_per_epoch = len(splits.train) // batch
    model.free_bits.assign(train_cfg.free_bits_per_group(splits.image_shape))
    # With Polyak averaging, validation runs on the averaged weights (Keras swaps
    # them in around every evaluation); the checkpointer saves them as best.keras.
    ema = [keras.callbacks.SwapEMAWeights()] if train_cfg.ema_momentum else []
    callbacks = ema + [
        zoo_callbacks.KLWarmup(train_cfg.warmup_epochs, train_cfg.beta), checkpointer,
        zoo_callbacks.NonFiniteGuard(train_cfg.max_consecutive_nonfinite, checkpointer),
        keras.callbacks.TensorBoard(os.path.join(write_dir, "tensorboard")),
        zoo_callbacks.ImageSummaries(os.path.join(write_dir, "tensorboard"), splits.valid[:16],
                                     seed=train_cfg.seed)]
    if os.environ.get(FAULT_KILL_AT_STEP):
        callbacks.append(zoo_callbacks.KillAtStep(int(os.environ[FAULT_KILL_AT_STEP]),
                                                  steps_per_epoch))
    model.fit(
        _for_strategy(pipelines.train_dataset(
            splits.train, batch, splits.spec.pixels, seed=train_cfg.seed,
            initial_epoch=initial_epoch), strategy),
        steps_per_epoch=steps_per_epoch,
        validation_data=_for_strategy(pipelines.eval_dataset(splits.valid, batch), strategy),
        initial_epoch=initial_epoch, epochs=train_cfg.epochs, verbose=verbose,
        shuffle=False,  # The pipeline shuffles, reproducibly per epoch.
        callbacks=callbacks)


def weights_digest(model):
    """SHA-256 of the model's weights in order: equal digests, bit-identical weights."""
    digest = hashlib.sha256()
    for weight in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
    return digest.hexdigest()


def _for_strategy(dataset, strategy):
    """Multi-worker input: every worker builds the whole stream and keeps its replicas'
    shares of each global batch (DATA sharding: our pipelines read no files)."""
    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        return dataset
    options = tf.data.Options()
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.with_options(options)


def _initialization_batch(splits, num_examples, seed):
    """Up to `num_examples` random training images, binarized as in training (float32).

    A prior that needs more than the training set has says so itself.
    """
    num_examples = min(num_examples, len(splits.train))
    stream = pipelines.train_dataset(splits.train, num_examples, splits.spec.pixels,
                                     seed=seed + 1)
    return next(iter(stream)).numpy()


def load_best_model(workdir):
    """`(model, path)`: `<workdir>/checkpoints/best.keras`, loaded without its optimizer."""
    best = os.path.join(workdir, CHECKPOINTS, zoo_callbacks.CheckpointAndEarlyStopping.BEST)
    if not os.path.exists(best):
        raise FileNotFoundError(f"{best} not found: no epoch has finished in {workdir}.")
    return keras.models.load_model(best, compile=False), best


def evaluate_workdir(workdir, data_dir=None, num_samples=None, num_examples=None,
                     extra=None, splits=None, progress=False):
    """Evaluates `<workdir>/checkpoints/best.keras` on the test set; writes evaluation.json.

    Args:
        num_samples, num_examples: override the experiment's eval settings.
        extra: entries merged into the results (e.g. training statistics);
            otherwise those of an existing evaluation.json are kept.
        progress: report the evaluation's progress (on stderr).
    """
    config, saved_data_dir = load_workdir_config(workdir)
    data_dir = data_dir or saved_data_dir
    model, best = load_best_model(workdir)
    splits = splits or load_data(config.data, data_dir)
    train_cfg = config.train
    results, per_example = evaluate_test_set(
        model, splits.test, config.data.batch_size,
        num_samples=num_samples or train_cfg.eval_num_samples,
        chunk_size=train_cfg.eval_chunk_size,
        num_examples=num_examples if num_examples is not None else train_cfg.eval_num_examples,
        seed=train_cfg.seed, progress=progress)
    previous_path = os.path.join(workdir, "evaluation.json")
    if extra is None and os.path.exists(previous_path):
        with open(previous_path) as f:
            previous = json.load(f)
        extra = {k: previous[k] for k in previous if k not in results}
    results.update(extra or {})
    results.update(experiment=config.name, dataset=config.data.name,
                   pixels=splits.spec.pixels, data_source=splits.source, paper_nll=config.paper_nll,
                   checkpoint=best)
    write_per_example(workdir, per_example)
    write_evaluation(workdir, results)
    return results

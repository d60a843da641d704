"""Stage 2 of NCP-VAE on a training workdir: classifiers, log Z, diagnostics, evaluation.

Output folder (see `trainers/train_ncp.py`): config.json, model.keras,
evaluation.json, tensorboard/.
"""

import dataclasses
import json
import os
import time

import keras
import numpy as np
import tensorflow as tf

from trainers import pipelines
from trainers.evaluation import write_evaluation
from trainers.training import load_best_model, load_data, load_workdir_config
from trainers.workdir_lock import workdir_lock
from zoo import datasets, evaluation, files
from zoo.models import NoiseContrastiveEstimation
from zoo.models.noise_contrastive_estimation import jensen_shannon_estimate
from zoo.networks import ResidualMLP

__all__ = ["NCPConfig", "is_ncp_workdir", "load_ncp_model", "train_ncp"]

MODEL = "model.keras"


@dataclasses.dataclass(frozen=True)
class NCPConfig:
    """Stage-2 options.

    Attributes:
        classifier_units, classifier_blocks, classifier_activation: the
            `ResidualMLP` classifier of every latent group.
        epochs, batch_size, learning_rate: Adam on the classification loss.
        patience: early stopping on the validation loss (the best weights are kept).
        seed: seeds the classifiers, the samples and the estimates.
        log_normalizer_samples: base-prior samples of the log Z estimate.
        log_normalizer_chunk_size: of those, evaluated together.
        num_proposals: SIR proposals per sample (the paper: 5000).
        sir_samples: SIR draws over which the effective sample size is reported.
        eval_num_samples: importance samples of the test log-likelihoods.
        eval_num_examples: test images used, `RandomState(0).permutation(N)[:k]`
            (0: all).
        eval_chunk_size: importance samples evaluated together.
    """

    classifier_units: int = 256
    classifier_blocks: int = 2
    classifier_activation: str = "swish"
    epochs: int = 100
    batch_size: int = 256
    learning_rate: float = 1e-3
    patience: int = 10
    seed: int = 0
    log_normalizer_samples: int = 1_000_000
    log_normalizer_chunk_size: int = 10_000
    num_proposals: int = 5000
    sir_samples: int = 100
    eval_num_samples: int = 5000
    eval_num_examples: int = 0
    eval_chunk_size: int = 500


def load_ncp_model(workdir):
    """The NCP-VAE saved by `train_ncp` in `workdir`."""
    path = os.path.join(workdir, MODEL)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found: {workdir} holds no finished train_ncp run.")
    return keras.models.load_model(path, compile=False)


def is_ncp_workdir(workdir):
    """Whether `workdir` is an output folder of `train_ncp` (its config.json has "ncp")."""
    path = os.path.join(workdir, "config.json")
    if not os.path.exists(path):
        return False
    with open(path) as f:
        return "ncp" in json.load(f)


def train_ncp(config, base_workdir, workdir, data_dir=None, verbose=2, command=None):
    """Runs stage 2 on the best model of `base_workdir`; writes into `workdir`, holding its
    lock (`trainers.workdir_lock`).

    Returns:
        The evaluation dict also written to `<workdir>/evaluation.json`.
    """
    # A base that is not a training workdir is refused before anything is written.
    base_config, saved_data_dir = load_workdir_config(base_workdir)
    with workdir_lock(workdir, "trainers.train_ncp"):
        return _train_ncp(config, base_workdir, base_config, saved_data_dir, workdir, data_dir,
                          verbose, command)


def _train_ncp(config, base_workdir, base_config, saved_data_dir, workdir, data_dir, verbose,
               command):
    data_dir = data_dir or saved_data_dir
    base, _ = load_best_model(base_workdir)
    splits = load_data(base_config.data, data_dir)
    os.makedirs(workdir, exist_ok=True)
    files.write_json_atomically(os.path.join(workdir, "config.json"), {
        "ncp": dataclasses.asdict(config), "base_workdir": base_workdir,
        "base_experiment": base_config.name, "data_dir": data_dir, "command": command})

    classifiers, history, validation, train_seconds = _fit_classifiers(
        base, splits, config, workdir, verbose)
    groups = sorted(classifiers)

    model = base.with_noise_contrastive_prior(classifiers, num_proposals=config.num_proposals)
    log_normalizer = model.estimate_log_normalizer(
        config.log_normalizer_samples, config.log_normalizer_chunk_size,
        seed=tf.constant([config.seed, 2], tf.int64),
        progress=f"log Z ({config.log_normalizer_samples:,} samples)" if verbose else None)
    sir = model.prior.sample_sir(config.sir_samples, seed=tf.constant([config.seed, 3], tf.int64))
    ess = sir["effective_sample_size"].numpy()
    _save_model(model, workdir)

    results = {
        "base_workdir": base_workdir, "base_experiment": base_config.name,
        "dataset": base_config.data.name, "data_source": splits.source,
        "paper_nll_base": base_config.paper_nll,
        "classifier": {g: {"val_loss": float(validation[f"loss_{g}"]),
                           "val_accuracy": float(validation[f"accuracy_{g}"]),
                           "jsd_estimate": jensen_shannon_estimate(float(validation[f"loss_{g}"]))}
                       for g in groups},
        "classifier_loss": "E_q[-log D] + E_p[-log(1 - D)] on the validation set (Eq. 3), nats",
        "epochs_trained": len(history.history["loss"]),
        "best_epoch": int(np.argmin(history.history["val_loss"])) + 1,
        "train_seconds": train_seconds,
        "log_normalizer": log_normalizer,
        "sir": {"num_proposals": config.num_proposals, "samples": config.sir_samples,
                "mean_effective_sample_size": float(np.mean(ess)),
                "min_effective_sample_size": float(np.min(ess)),
                "group": "the top latent group"},
        "model": os.path.join(workdir, MODEL),
    }
    results.update(_compare_log_likelihoods(base, model, splits.test, config,
                                            base_config.data.batch_size,
                                            log_normalizer["stderr"], progress=verbose > 0))
    write_evaluation(workdir, results)
    return results


def _fit_classifiers(base, splits, config, workdir, verbose):
    """Trains one classifier per latent group of `base` (the NCE loss of Eq. 3), early-stopped
    on the validation loss with the best weights kept.

    Returns:
        ({group: classifier}, the fit's `History`, the validation metrics of
        the kept weights {"loss_<group>", "accuracy_<group>", ...}, seconds).
    """
    start = time.time()
    keras.utils.set_random_seed(config.seed)
    groups = sorted(base.noise_contrastive_pairs(splits.valid[:1], seed=0))
    classifiers = {g: ResidualMLP(config.classifier_units, config.classifier_blocks,
                                  config.classifier_activation, name=f"classifier_{g}")
                   for g in groups}
    estimator = NoiseContrastiveEstimation(base, classifiers, seed=config.seed)
    estimator.compile(optimizer=keras.optimizers.Adam(config.learning_rate), jit_compile=True)
    stopper = keras.callbacks.EarlyStopping(monitor="val_loss", patience=config.patience,
                                            restore_best_weights=True)
    history = estimator.fit(
        pipelines.train_dataset(splits.train, config.batch_size, splits.spec.pixels,
                                seed=config.seed),
        steps_per_epoch=len(splits.train) // config.batch_size,
        validation_data=pipelines.eval_dataset(splits.valid, config.batch_size),
        epochs=config.epochs, verbose=verbose, callbacks=[
            stopper, keras.callbacks.TensorBoard(os.path.join(workdir, "tensorboard"))])
    train_seconds = time.time() - start
    validation = estimator.evaluate(pipelines.eval_dataset(splits.valid, config.batch_size),
                                    verbose=0, return_dict=True)
    return classifiers, history, validation, train_seconds


def _compare_log_likelihoods(base, model, test_images, config, batch_size, log_z_stderr,
                             progress=False):
    """IS log-likelihoods of the base VAE and the NCP-VAE from the same posterior samples.

    Both use the same seeds, so q's samples are shared and the per-example
    difference is log r(z) - log Z weighted through the same importance
    weights: its standard error is small. log Z's own standard error is
    common to all examples and is added in quadrature.
    """
    num_examples = config.eval_num_examples or len(test_images)
    subset = datasets.test_subset(len(test_images), num_examples)
    images = test_images[subset]
    estimate = lambda m, label: evaluation.log_likelihood_over_dataset(
        m, pipelines.eval_dataset(images, batch_size), num_samples=config.eval_num_samples,
        chunk_size=config.eval_chunk_size, seed=config.seed + 1,
        progress=f"{label} test log-likelihood (S = {config.eval_num_samples})" if progress
        else None)
    start = time.time()
    base_ll, ncp_ll = estimate(base, "Base VAE's"), estimate(model, "NCP-VAE's")
    stderr = lambda a: float(np.std(a) / np.sqrt(len(a)))
    gain = ncp_ll - base_ll
    return {
        "test_log_likelihood_base": float(np.mean(base_ll)),
        "test_log_likelihood_base_stderr": stderr(base_ll),
        "test_log_likelihood_ncp": float(np.mean(ncp_ll)),
        "test_log_likelihood_ncp_stderr": stderr(ncp_ll),
        "improvement": float(np.mean(gain)),
        "improvement_stderr": float(np.sqrt(stderr(gain) ** 2 + log_z_stderr ** 2)),
        "improvement_stderr_note": "paired over examples, log Z's standard error added",
        "log_likelihood_num_samples": config.eval_num_samples,
        "log_likelihood_num_examples": int(len(images)),
        "units": "nats per example (log-likelihoods; higher is better)",
        "evaluation_seconds": time.time() - start,
    }


def _save_model(model, workdir):
    files.save_keras_atomically(model, os.path.join(workdir, MODEL))

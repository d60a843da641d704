"""Typed experiment configuration."""

import dataclasses
import json
import math
from typing import Optional

from zoo.models.model_config import ModelConfig
from zoo.networks import gated_conv
from zoo.registry import dataclass_from_dict

__all__ = ["DataConfig", "ExperimentConfig", "TrainConfig", "config_from_dict"]


@dataclasses.dataclass(frozen=True)
class DataConfig:
    """Attributes:
        name: a dataset in `zoo.datasets.DATASETS`, or the path of a user's `.npz`
            (`--dataset`).
        batch_size: training and evaluation batch size.
        validation_size: held-out final training images where a registered dataset has
            no validation split (a user's file without `x_valid`: the last 10%).
        pixels: what the model sees, one of `zoo.datasets.PIXELS` (None: the dataset's
            own; a user's file: inferred from its values).
    """

    name: str = "static_mnist"
    batch_size: int = 100
    validation_size: int = 10000
    pixels: Optional[str] = None


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Attributes:
        epochs: maximum number of epochs.
        optimizer: a name in `trainers.optimizers.OPTIMIZERS`.
        learning_rate: the optimizer's.
        warmup_epochs: linear KL warm-up, beta = min(1, epoch / warmup_epochs)
            with epochs counted from 1 (0: no warm-up).
        patience: early-stopping look-ahead in epochs, counted after warm-up.
        seed: seeds weights, data order, binarization and sampling.
        eval_num_samples: importance samples of the final test log-likelihood.
        eval_chunk_size: importance samples evaluated at once per image; memory
            grows with it times the batch. 25 is the fastest on 2-core CPUs (the
            MLP families run 1.1-1.3x faster than at 100, the conv ones the same;
            docs/benchmarks.md).
        eval_num_examples: test images used for the log-likelihood, chosen as
            `np.random.RandomState(0).permutation(N)[:k]` (None: all).
        jit_compile: XLA-compile the train step (on one device; the
            distributed strategies run without XLA). The experiments of
            convolutional models set it False: oneDNN's convolutions train
            them up to 1.7x faster than XLA's (docs/benchmarks.md).
        steps_per_execution: train steps per call into the compiled function.
        clip_norm: clip the gradients to this global L2 norm (None: no clip).
        beta: the KL weight after the warm-up (1: the ELBO; a beta-VAE otherwise).
        free_bits: nats of KL per latent group left free in the training loss
            (`ElboTerms.loss`; 0: none).
        free_bits_per_data_dim: the same in nats per data dimension: each
            group keeps this times the number of data dimensions (VLAE: 0.01
            nats/data-dim, 7.84 nats on 28 x 28 images); exclusive with
            `free_bits`.
        ema_momentum: Polyak averaging of the weights with this momentum
            (None: off); validation, the best model and the evaluation use the
            averages.
        max_consecutive_nonfinite: stop after this many consecutive training
            steps with a non-finite loss or gradient (each is skipped).
        gated_conv_dtype: what the training step's gated convolutions
            (ConvHVAE, PixelHVAE) compute in: "float32", or "bfloat16", 1.6x
            faster training where the CPU computes bfloat16 natively
            (AVX512_BF16, AMX) and slower where it does not (docs/benchmarks.md);
            the weights, the rest of the step and every evaluation stay float32.
    """

    epochs: int = 2000
    optimizer: str = "adam"
    learning_rate: float = 5e-4
    warmup_epochs: int = 100
    patience: int = 50
    seed: int = 0
    eval_num_samples: int = 5000
    eval_chunk_size: int = 25
    eval_num_examples: Optional[int] = None
    jit_compile: bool = True
    steps_per_execution: int = 50
    clip_norm: Optional[float] = None
    max_consecutive_nonfinite: int = 20
    beta: float = 1.0
    free_bits: float = 0.0
    free_bits_per_data_dim: float = 0.0
    ema_momentum: Optional[float] = None
    gated_conv_dtype: str = "float32"

    def __post_init__(self):
        gated_conv.checked_compute_dtype(self.gated_conv_dtype, "gated_conv_dtype")
        if self.free_bits and self.free_bits_per_data_dim:
            raise ValueError("Set free_bits (per latent group) or free_bits_per_data_dim, "
                             "not both.")

    def free_bits_per_group(self, data_shape):
        """The nats of KL per latent group the loss leaves free, for data of `data_shape`."""
        return self.free_bits or self.free_bits_per_data_dim * math.prod(data_shape)


@dataclasses.dataclass(frozen=True)
class ExperimentConfig:
    """One named experiment (a paper-table row).

    Attributes:
        name: the registered name.
        description: paper, table row and the value it reports.
        paper_nll: the paper's test negative log-likelihood in nats, if any.
        paper_nll_ncp: the same for the model with its noise-contrastive prior
            (stage 2, `trainers.train_ncp`), where the paper reports one.
        paper_bits_per_dim: the paper's value in bits per data dimension, where it reports
            that (gray-level data; `paper_nll` is then the same value in nats).
    """

    name: str
    description: str
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    train: TrainConfig = TrainConfig()
    paper_nll: Optional[float] = None
    paper_nll_ncp: Optional[float] = None
    paper_bits_per_dim: Optional[float] = None

    def to_json(self):
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True)


def config_from_dict(d):
    """Inverse of `dataclasses.asdict` for `ExperimentConfig` (lists become tuples; unknown
    keys are refused by name)."""
    return ExperimentConfig(
        name=d["name"], description=d["description"], paper_nll=d.get("paper_nll"),
        paper_nll_ncp=d.get("paper_nll_ncp"), paper_bits_per_dim=d.get("paper_bits_per_dim"),
        data=dataclass_from_dict(DataConfig, d["data"], "the data config"),
        model=dataclass_from_dict(ModelConfig, d["model"], "the model config"),
        train=dataclass_from_dict(TrainConfig, d["train"], "the training config"))

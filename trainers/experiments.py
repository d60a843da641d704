"""Named experiments, one per paper-table row: registered functions returning configs."""

from trainers.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig
from zoo.registry import Registry

__all__ = ["EXPERIMENTS", "get_experiment"]

EXPERIMENTS = Registry("experiment", hint="import trainers.experiments")


def get_experiment(name):
    """The `ExperimentConfig` registered as `name`."""
    return EXPERIMENTS.get(name)()


@EXPERIMENTS.register("vae_standard_static_mnist")
def vae_standard_static_mnist():
    """Tomczak & Welling (2018), Table 1: VAE (L=1) + standard prior, static MNIST.

    Gated MLP (2 x 300), z = 40, Bernoulli; Adam with normalized gradients
    (the paper's Sec. 5.1, AdamNormGrad in its code), learning rate 5e-4, batch
    100, warm-up 100 epochs, early-stopping look-ahead 50, up to 2000 epochs;
    5000 importance samples.
    """
    return ExperimentConfig(
        name="vae_standard_static_mnist",
        description=("Tomczak & Welling 2018, Table 1, VAE (L = 1), standard prior, "
                     "static MNIST: test LL -88.56 nats."),
        data=DataConfig(name="static_mnist", batch_size=100),
        model=ModelConfig(architecture="gated_mlp", latent_dim=40,
                          hidden_units=(300, 300), prior="standard"),
        train=TrainConfig(epochs=2000, optimizer="adam_norm_grad",
                          learning_rate=5e-4, warmup_epochs=100,
                          patience=50, eval_num_samples=5000),
        paper_nll=88.56)

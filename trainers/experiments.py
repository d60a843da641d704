"""Named experiments, one per paper-table row: registered functions returning configs."""

import dataclasses
import functools

from trainers.config import DataConfig, ExperimentConfig, ModelConfig, TrainConfig
from zoo import posteriors, priors
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


def _with_prior(base, name, description, prior, prior_config=None, paper_nll=None):
    """`base` with another prior and nothing else changed."""
    return dataclasses.replace(
        base, name=name, description=description, paper_nll=paper_nll,
        model=dataclasses.replace(base.model, prior=prior, prior_config=prior_config))


@EXPERIMENTS.register("vae_mog_static_mnist")
def vae_mog_static_mnist():
    """`vae_standard_static_mnist` with a mixture of 500 trainable Gaussians (uniform weights)."""
    return _with_prior(
        vae_standard_static_mnist(), "vae_mog_static_mnist",
        "Tomczak & Welling 2018, Sec. 3.2: VAE (L = 1) + MoG prior (K = 500), static MNIST; "
        "the paper reports the MoG only for HVAE (Table 2: -85.07).",
        "mog", priors.MixtureOfGaussiansPriorConfig(num_components=500))


@EXPERIMENTS.register("vae_vamp_static_mnist")
def vae_vamp_static_mnist():
    """Tomczak & Welling (2018), Table 1: VAE (L=1) + VampPrior, 500 learned pseudo-inputs."""
    return _with_prior(
        vae_standard_static_mnist(), "vae_vamp_static_mnist",
        "Tomczak & Welling 2018, Table 1, VAE (L = 1), VampPrior (K = 500), static MNIST: "
        "test LL -85.57 nats.",
        "vamp", priors.VampPriorConfig(num_components=500, pseudo_inputs_kind="learned"),
        paper_nll=85.57)


@EXPERIMENTS.register("vae_vamp_data_static_mnist")
def vae_vamp_data_static_mnist():
    """The VampPrior "data" variant: 500 random training images as fixed pseudo-inputs."""
    return _with_prior(
        vae_standard_static_mnist(), "vae_vamp_data_static_mnist",
        "Tomczak & Welling 2018, Sec. 5: VAE (L = 1) + VampPrior data (K = 500 fixed training "
        "images), static MNIST; the paper reports it only for HVAE (Table 2: -85.71).",
        "vamp", priors.VampPriorConfig(num_components=500, pseudo_inputs_kind="data"))


@EXPERIMENTS.register("vae_realnvp_static_mnist")
def vae_realnvp_static_mnist():
    """`vae_standard_static_mnist` with Xu et al.'s RealNVP prior, K = 20 blocks."""
    return _with_prior(
        vae_standard_static_mnist(), "vae_realnvp_static_mnist",
        "Xu et al. 2019 RealNVP prior (K = 20) on the VampPrior paper's gated-MLP VAE, static "
        "MNIST (Xu et al.'s DenseVAE with it, Table 3: -84.87).",
        "realnvp", priors.RealNVPPriorConfig(num_blocks=20))


@EXPERIMENTS.register("vae_maf_static_mnist")
def vae_maf_static_mnist():
    """`vae_standard_static_mnist` with Chen et al.'s autoregressive-flow prior."""
    return _with_prior(
        vae_standard_static_mnist(), "vae_maf_static_mnist",
        "Chen et al. 2017 AF prior (4 shift-only MADE steps, 3 x 640 ReLU) on the VampPrior "
        "paper's gated-MLP VAE, static MNIST (Chen et al.'s AF-prior VAE, Table 1: -79.30, "
        "uses the IAF paper's ResNet VAE).",
        "maf", priors.MAFPriorConfig())


@EXPERIMENTS.register("dense_vae_realnvp_posterior_static_mnist")
def dense_vae_realnvp_posterior_static_mnist():
    """Xu et al. (2019), Table 3: the standard-prior VAE with a RealNVP posterior, K = 20.

    The RealNVP blocks of the prior (actnorm, invertible dense, affine
    coupling with one hidden layer of 256) push the Gaussian posterior's
    samples; the network is the VampPrior paper's gated MLP, as in
    `vae_realnvp_static_mnist` (the text does not give DenseVAE's layer sizes).
    """
    base = vae_standard_static_mnist()
    return dataclasses.replace(
        base, name="dense_vae_realnvp_posterior_static_mnist",
        description=("Xu et al. 2019, Table 3, DenseVAE with RealNVP posterior (K = 20), standard "
                     "prior, static MNIST: test NLL 86.07 nats (normal 88.84, RealNVP prior "
                     "84.87); here on the gated-MLP VAE."),
        paper_nll=86.07,
        model=dataclasses.replace(base.model, posterior="realnvp",
                                  posterior_config=posteriors.RealNVPPosteriorConfig(
                                      num_blocks=20)))


def _hvae(name, description, prior, prior_config=None, paper_nll=None):
    """`vae_*_static_mnist`'s settings on the two-level HVAE (L = 2) with `prior` on z2."""
    base = vae_standard_static_mnist()
    return dataclasses.replace(
        base, name=name, description=description, paper_nll=paper_nll,
        model=dataclasses.replace(base.model, architecture="gated_mlp_hvae", prior=prior,
                                  prior_config=prior_config))


@EXPERIMENTS.register("hvae_standard_static_mnist")
def hvae_standard_static_mnist():
    """Tomczak & Welling (2018), Table 1: HVAE (L=2) + standard prior on z2, z1 = z2 = 40."""
    return _hvae("hvae_standard_static_mnist",
                 "Tomczak & Welling 2018, Table 1, HVAE (L = 2), standard prior, static MNIST: "
                 "test LL -86.05 nats (Table 2, HVAE + SG: -85.89).",
                 "standard", paper_nll=86.05)


@EXPERIMENTS.register("hvae_mog_static_mnist")
def hvae_mog_static_mnist():
    """Tomczak & Welling (2018), Table 2: HVAE (L=2) + MoG prior (K = 500) on z2."""
    return _hvae("hvae_mog_static_mnist",
                 "Tomczak & Welling 2018, Table 2, HVAE (L = 2) + MoG (K = 500), static MNIST: "
                 "test LL -85.07 nats.",
                 "mog", priors.MixtureOfGaussiansPriorConfig(num_components=500), paper_nll=85.07)


@EXPERIMENTS.register("hvae_vamp_data_static_mnist")
def hvae_vamp_data_static_mnist():
    """Tomczak & Welling (2018), Table 2: HVAE (L=2) + VampPrior data (500 training images)."""
    return _hvae("hvae_vamp_data_static_mnist",
                 "Tomczak & Welling 2018, Table 2, HVAE (L = 2) + VampPrior data (K = 500), "
                 "static MNIST: test LL -85.71 nats.",
                 "vamp", priors.VampPriorConfig(num_components=500, pseudo_inputs_kind="data"),
                 paper_nll=85.71)


@EXPERIMENTS.register("hvae_vamp_static_mnist")
def hvae_vamp_static_mnist():
    """Tomczak & Welling (2018), Tables 1-2: HVAE (L=2) + VampPrior (500 learned pseudo-inputs)."""
    return _hvae("hvae_vamp_static_mnist",
                 "Tomczak & Welling 2018, Table 1, HVAE (L = 2), VampPrior (K = 500), static "
                 "MNIST: test LL -83.19 nats.",
                 "vamp", priors.VampPriorConfig(num_components=500, pseudo_inputs_kind="learned"),
                 paper_nll=83.19)


@EXPERIMENTS.register("lars_vae_standard_dynamic_mnist")
def lars_vae_standard_dynamic_mnist():
    """NCP-VAE's base model (Aneja et al. 2021, Table 2): the LARS/SNIS VAE, dynamic MNIST.

    Encoder and decoder MLPs of 2 x 300 tanh units, z = 50, Bernoulli, standard
    normal prior (Bauer & Mnih 2019; Lawson et al. 2019); Adam, learning rate
    3e-4, batch 128 as in SNIS's code; no KL warm-up. Stage 2
    (`python -m trainers.train_ncp`) fits the noise-contrastive prior on it.
    """
    return ExperimentConfig(
        name="lars_vae_standard_dynamic_mnist",
        description=("Aneja et al. 2021, Table 2, VAE w/ Gaussian prior (LARS/SNIS "
                     "architecture), dynamic MNIST: test NLL 84.82 nats; with the NCP "
                     "(stage 2, trainers.train_ncp): 82.82."),
        data=DataConfig(name="dynamic_mnist", batch_size=128),
        model=ModelConfig(architecture="tanh_mlp", latent_dim=50, hidden_units=(300, 300),
                          prior="standard"),
        train=TrainConfig(epochs=1000, optimizer="adam", learning_rate=3e-4,
                          warmup_epochs=0, patience=50, eval_num_samples=5000),
        paper_nll=84.82, paper_nll_ncp=82.82)


def _conv_hvae(name, description, prior, prior_config=None, paper_nll=None,
               likelihood="bernoulli"):
    """The HVAE experiments' settings on the gated-convolution two-level model."""
    base = _hvae(name, description, prior, prior_config, paper_nll)
    return dataclasses.replace(base, model=dataclasses.replace(
        base.model, architecture="gated_conv_hvae", likelihood=likelihood))


@EXPERIMENTS.register("convhvae_standard_static_mnist")
def convhvae_standard_static_mnist():
    """Tomczak & Welling (2018), Table 1: ConvHVAE (L=2) + standard prior."""
    return _conv_hvae("convhvae_standard_static_mnist",
                      "Tomczak & Welling 2018, Table 1, ConvHVAE (L = 2), standard prior, static "
                      "MNIST: test LL -82.41 nats.", "standard", paper_nll=82.41)


@EXPERIMENTS.register("convhvae_vamp_static_mnist")
def convhvae_vamp_static_mnist():
    """Tomczak & Welling (2018), Tables 1-2: ConvHVAE (L=2) + VampPrior (500 pseudo-inputs)."""
    return _conv_hvae("convhvae_vamp_static_mnist",
                      "Tomczak & Welling 2018, Table 1, ConvHVAE (L = 2), VampPrior (K = 500), "
                      "static MNIST: test LL -81.09 nats.",
                      "vamp", priors.VampPriorConfig(num_components=500), paper_nll=81.09)


@EXPERIMENTS.register("pixelhvae_standard_static_mnist")
def pixelhvae_standard_static_mnist():
    """Tomczak & Welling (2018), Table 1: PixelHVAE (L=2) + standard prior."""
    return _conv_hvae("pixelhvae_standard_static_mnist",
                      "Tomczak & Welling 2018, Table 1, PixelHVAE (L = 2), standard prior, static "
                      "MNIST: test LL -80.58 nats.", "standard", paper_nll=80.58,
                      likelihood="pixelcnn_bernoulli")


@EXPERIMENTS.register("pixelhvae_vamp_static_mnist")
def pixelhvae_vamp_static_mnist():
    """Tomczak & Welling (2018), Tables 1-2: PixelHVAE (L=2) + VampPrior (500 pseudo-inputs)."""
    return _conv_hvae("pixelhvae_vamp_static_mnist",
                      "Tomczak & Welling 2018, Table 1, PixelHVAE (L = 2), VampPrior (K = 500), "
                      "static MNIST: test LL -79.78 nats.",
                      "vamp", priors.VampPriorConfig(num_components=500), paper_nll=79.78,
                      likelihood="pixelcnn_bernoulli")


def _on_dataset(base_name, name, dataset, description, paper_nll, latent_dim=None):
    """The experiment `base_name` on another dataset (and latent size), nothing else changed."""
    base = get_experiment(base_name)
    model = base.model if latent_dim is None else dataclasses.replace(base.model,
                                                                      latent_dim=latent_dim)
    return dataclasses.replace(base, name=name, description=description, paper_nll=paper_nll,
                               data=dataclasses.replace(base.data, name=dataset), model=model)


# Dynamically binarized MNIST: the VampPrior paper's Table 1 row (same settings as static MNIST).
_DYNAMIC_MNIST_ROWS = {
    "vae_standard": ("VAE (L = 1), standard prior", 84.50),
    "vae_vamp": ("VAE (L = 1), VampPrior (K = 500)", 82.38),
    "hvae_standard": ("HVAE (L = 2), standard prior", 82.42),
    "hvae_vamp": ("HVAE (L = 2), VampPrior (K = 500)", 81.24),
    "convhvae_standard": ("ConvHVAE (L = 2), standard prior", 80.40),
    "convhvae_vamp": ("ConvHVAE (L = 2), VampPrior (K = 500)", 79.75),
    "pixelhvae_standard": ("PixelHVAE (L = 2), standard prior", 79.70),
    "pixelhvae_vamp": ("PixelHVAE (L = 2), VampPrior (K = 500)", 78.45),
}
for _stem, (_model, _nll) in _DYNAMIC_MNIST_ROWS.items():
    EXPERIMENTS.register(f"{_stem}_dynamic_mnist")(functools.partial(
        _on_dataset, f"{_stem}_static_mnist", f"{_stem}_dynamic_mnist", "dynamic_mnist",
        f"Tomczak & Welling 2018, Table 1, {_model}, dynamic MNIST: test LL -{_nll:.2f} nats.",
        _nll))

# Xu et al. (2019), Table 3, DenseVAE (here the gated-MLP VAE) on MNIST and FashionMNIST, both
# dynamically binarized; z = 40 on MNIST, 64 on FashionMNIST.
_XU_DENSE_ROWS = {
    ("dynamic_mnist", "mnist"): (None, (84.48, 82.53, 80.43)),
    ("fashion_mnist", "fashion_mnist"): (64, (228.60, 227.79, 226.11)),
}
for (_dataset, _suffix), (_latent, (_normal, _rnvp_q, _rnvp_p)) in _XU_DENSE_ROWS.items():
    for _stem, _base, _what, _nll in (
            ("dense_vae_standard", "vae_standard_static_mnist", "normal", _normal),
            ("dense_vae_realnvp_posterior", "dense_vae_realnvp_posterior_static_mnist",
             "RNVP q(z|x), K = 20", _rnvp_q),
            ("dense_vae_realnvp", "vae_realnvp_static_mnist", "RNVP p(z), K = 20", _rnvp_p)):
        EXPERIMENTS.register(f"{_stem}_{_suffix}")(functools.partial(
            _on_dataset, _base, f"{_stem}_{_suffix}", _dataset,
            f"Xu et al. 2019, Table 3, DenseVAE {_what}, {_dataset}: test NLL {_nll:.2f} nats "
            f"(on the gated-MLP VAE here).", _nll, _latent))


# Xu et al. (2019): ResnetVAE (`resnet`: stage channels 16-32-64, z = 40 on MNIST and 64 on
# FashionMNIST), ConvVAE (`conv`: the same stacks of plain convolutions) and PixelVAE (the ResnetVAE
# with PixelCNN layers on its decoder). The paper gives
# neither the optimizer nor the batch size; Adam at 1e-3 and batches of 128 are the defaults of
# the tfsnippet examples its models come from. Its metrics use 1000 importance samples.
def _xu_resnet(name, description, paper_nll, prior="standard", prior_config=None,
               posterior="gaussian", posterior_config=None, likelihood="bernoulli",
               dataset="static_mnist", latent_dim=40, architecture="resnet"):
    return ExperimentConfig(
        name=name, description=description, paper_nll=paper_nll,
        data=DataConfig(name=dataset, batch_size=128),
        model=ModelConfig(architecture=architecture, latent_dim=latent_dim,
                          hidden_units=(16, 32, 64), prior=prior, prior_config=prior_config,
                          posterior=posterior, posterior_config=posterior_config,
                          likelihood=likelihood),
        train=TrainConfig(epochs=1000, optimizer="adam", learning_rate=1e-3, warmup_epochs=0,
                          patience=50, eval_num_samples=1000))


@EXPERIMENTS.register("resnet_vae_realnvp_static_mnist")
def resnet_vae_realnvp_static_mnist():
    """Xu et al. (2019), Table 1: ResnetVAE + RealNVP prior, K = 50, static MNIST."""
    return _xu_resnet("resnet_vae_realnvp_static_mnist",
                      "Xu et al. 2019, Table 1, ResnetVAE + RNVP p(z) (K = 50), static MNIST: "
                      "test NLL 79.84 nats.", 79.84,
                      prior="realnvp", prior_config=priors.RealNVPPriorConfig(num_blocks=50))


@EXPERIMENTS.register("pixel_vae_realnvp_static_mnist")
def pixel_vae_realnvp_static_mnist():
    """Xu et al. (2019), Table 1: PixelVAE + RealNVP prior, K = 50, static MNIST.

    "Several PixelCNN layers on top of the ResnetVAE decoder": the PixelHVAE's
    head here (`pixelcnn_bernoulli`, 8 masked gated 3x3 layers of 64).
    """
    return _xu_resnet("pixel_vae_realnvp_static_mnist",
                      "Xu et al. 2019, Table 1, PixelVAE + RNVP p(z) (K = 50), static MNIST: "
                      "test NLL 79.01 nats.", 79.01,
                      prior="realnvp", prior_config=priors.RealNVPPriorConfig(num_blocks=50),
                      likelihood="pixelcnn_bernoulli")


# Tables 1 and 2 (K = 50): the ConvVAE, ResnetVAE and PixelVAE with the RealNVP prior on static and
# dynamic MNIST (the static ResnetVAE and PixelVAE rows are registered above).
_XU_K50_ROWS = {
    ("conv_vae", "conv", "bernoulli", "ConvVAE"): {"static_mnist": 80.09, "mnist": 78.61},
    ("resnet_vae", "resnet", "bernoulli", "ResnetVAE"): {"mnist": 78.49},
    ("pixel_vae", "resnet", "pixelcnn_bernoulli", "PixelVAE"): {"mnist": 78.12},
}
for (_family, _architecture, _likelihood, _title), _by_dataset in _XU_K50_ROWS.items():
    for _suffix, _nll in _by_dataset.items():
        _name = f"{_family}_realnvp_{_suffix}"
        _table = 1 if _suffix == "static_mnist" else 2
        EXPERIMENTS.register(_name)(functools.partial(
            _xu_resnet, _name,
            f"Xu et al. 2019, Table {_table}, {_title} + RNVP p(z) (K = 50), "
            f"{'static MNIST' if _table == 1 else 'dynamic_mnist'}: test NLL {_nll:.2f} nats.",
            _nll, prior="realnvp", prior_config=priors.RealNVPPriorConfig(num_blocks=50),
            likelihood=_likelihood, dataset="static_mnist" if _table == 1 else "dynamic_mnist",
            architecture=_architecture))


# Table 3 (K = 20): ResnetVAE and PixelVAE with normal, RealNVP posterior and RealNVP prior.
_XU_RESNET_ROWS = {
    ("resnet_vae", "bernoulli", "ResnetVAE"): {
        "static_mnist": (82.95, 80.97, 79.99), "mnist": (81.07, 79.53, 78.58),
        "fashion_mnist": (226.17, 225.02, 224.09)},
    ("pixel_vae", "pixelcnn_bernoulli", "PixelVAE"): {
        "static_mnist": (79.47, 79.09, 78.92), "mnist": (78.64, 78.41, 78.15),
        "fashion_mnist": (224.22, 223.81, 223.40)},
}
_XU_DATASETS = {"static_mnist": ("static_mnist", 40), "mnist": ("dynamic_mnist", 40),
                "fashion_mnist": ("fashion_mnist", 64)}
for (_family, _likelihood, _title), _by_dataset in _XU_RESNET_ROWS.items():
    for _suffix, (_normal, _rnvp_q, _rnvp_p) in _by_dataset.items():
        _dataset, _latent = _XU_DATASETS[_suffix]
        for _variant, _what, _nll, _flows in (
                ("standard", "normal", _normal, {}),
                ("realnvp_posterior", "RNVP q(z|x), K = 20", _rnvp_q, dict(
                    posterior="realnvp",
                    posterior_config=posteriors.RealNVPPosteriorConfig(num_blocks=20))),
                ("realnvp_k20", "RNVP p(z), K = 20", _rnvp_p, dict(
                    prior="realnvp", prior_config=priors.RealNVPPriorConfig(num_blocks=20)))):
            _name = f"{_family}_{_variant}_{_suffix}"
            EXPERIMENTS.register(_name)(functools.partial(
                _xu_resnet, _name,
                f"Xu et al. 2019, Table 3, {_title} {_what}, {_dataset}: test NLL {_nll:.2f} "
                f"nats.", _nll, likelihood=_likelihood, dataset=_dataset, latent_dim=_latent,
                **_flows))


# Chen et al. (2017), Table 1 and Appendix A: the IAF paper's ResNet VAE (`resnet_elu`), z = 64,
# with the AF prior (4 mean-only MADE steps of 3 x 640 ReLU); Adamax at 2e-3, free bits of 0.01
# nats per data dimension, Polyak averaging with 0.998. Batch size and importance samples are
# not given: 100 and 5000, as for the VampPrior rows.
def _vlae(name, description, paper_nll, likelihood):
    return ExperimentConfig(
        name=name, description=description, paper_nll=paper_nll,
        data=DataConfig(name="static_mnist", batch_size=100),
        model=ModelConfig(architecture="resnet_elu", latent_dim=64, hidden_units=(16, 32, 64),
                          prior="maf", prior_config=priors.MAFPriorConfig(),
                          likelihood=likelihood),
        train=TrainConfig(epochs=2000, optimizer="adamax", learning_rate=2e-3,
                          warmup_epochs=0, patience=50, eval_num_samples=5000,
                          free_bits_per_data_dim=0.01, ema_momentum=0.998))


@EXPERIMENTS.register("af_vae_static_mnist")
def af_vae_static_mnist():
    """Chen et al. (2017), Table 1: the ResNet VAE with an AF prior and a Bernoulli decoder."""
    return _vlae("af_vae_static_mnist",
                 "Chen et al. 2017, Table 1, AF VAE (ResNet VAE + AF prior), static MNIST: "
                 "test NLL 79.30 nats.", 79.30, "bernoulli")


@EXPERIMENTS.register("vlae_static_mnist")
def vlae_static_mnist():
    """Chen et al. (2017), Table 1: VLAE, the AF-prior VAE with a small-receptive-field PixelCNN.

    The decoder's 28 x 28 feature map is projected to 4 maps, concatenated with
    x and fed to 6 masked 3x3 layers of 12 filters in residual blocks with 1x1
    blocks between (`pixelcnn_bernoulli_vlae`; the paper ties the masked
    layers' weights, which this does not).
    """
    return _vlae("vlae_static_mnist",
                 "Chen et al. 2017, Table 1, VLAE (AF prior + PixelCNN decoder), static MNIST: "
                 "test NLL 79.03 nats.", 79.03, "pixelcnn_bernoulli_vlae")


@EXPERIMENTS.register("led_resconv_vae_static_mnist")
def led_resconv_vae_static_mnist():
    """Huang et al. (2017), Table 2: ResConv with 16 RealNVP prior and 16 IAF posterior steps.

    ResConv (`resconv`): three strided residual blocks of 16-32-32 3x3
    feature maps and a dense layer of 450 before the latent (z = 32), ELU.
    Prior: 16 RealNVP blocks with couplings of one hidden layer of 100;
    posterior: 16 IAF (MADE) steps of two hidden layers of 512. The decoder
    and the training setup are not given; the decoder mirrors the encoder and
    training follows the ResnetVAE rows (Adam 1e-3, batch 128).
    """
    base = _xu_resnet(
        "led_resconv_vae_static_mnist",
        "Huang et al. 2017, Table 2, ResConv, 16 NVP prior + 16 MADE (IAF) posterior, static "
        "MNIST: test NLL 80.60 nats.", 80.60,
        prior="realnvp", prior_config=priors.RealNVPPriorConfig(num_blocks=16,
                                                               hidden_units=(100,)),
        posterior="iaf", posterior_config=posteriors.IAFPosteriorConfig(
            num_steps=16, hidden_units=(512, 512)))
    return dataclasses.replace(base, model=dataclasses.replace(
        base.model, architecture="resconv", latent_dim=32, hidden_units=(16, 32, 32)))


# Huang et al. (2017), Table 1, the MLP columns: a ReLU MLP VAE (2 x 200, z = 50) with 0 / 4 / 8 /
# 12 RealNVP prior layers (couplings of one hidden layer of 100), or with 4 / 8 / 12 MADE (IAF)
# posterior layers (two hidden layers of 512). The zoo's RealNVP blocks are Xu et al.'s (actnorm,
# invertible dense, affine coupling), where LED's use random masks. LED gives no training setup;
# these follow its ResConv row (`led_resconv_vae_static_mnist`).
_LED_MLP_NLL = {("prior", 0): 90.78, ("prior", 4): 88.07, ("prior", 8): 87.47,
                ("prior", 12): 86.59, ("posterior", 4): 88.89, ("posterior", 8): 88.71,
                ("posterior", 12): 88.70}


def _led_mlp(flow, layers):
    if layers == 0:
        name, what = "led_mlp_vae_static_mnist", "no flow"
        flows = {}
    elif flow == "prior":
        name, what = f"led_mlp_vae_realnvp{layers}_static_mnist", f"{layers} NVP prior layers"
        flows = dict(prior="realnvp", prior_config=priors.RealNVPPriorConfig(
            num_blocks=layers, hidden_units=(100,)))
    else:
        name, what = f"led_mlp_vae_iaf{layers}_static_mnist", f"{layers} MADE posterior layers"
        flows = dict(posterior="iaf", posterior_config=posteriors.IAFPosteriorConfig(
            num_steps=layers, hidden_units=(512, 512)))
    nll = _LED_MLP_NLL[(flow, layers)]
    base = _xu_resnet(name, f"Huang et al. 2017, Table 1, MLP (2 x 200 ReLU, z = 50), {what}, "
                      f"static MNIST: test NLL {nll:.2f} nats.", nll, **flows)
    return dataclasses.replace(base, model=dataclasses.replace(
        base.model, architecture="relu_mlp", latent_dim=50, hidden_units=(200, 200)))


for _flow, _layers in _LED_MLP_NLL:
    EXPERIMENTS.register(_led_mlp(_flow, _layers).name)(
        functools.partial(_led_mlp, _flow, _layers))

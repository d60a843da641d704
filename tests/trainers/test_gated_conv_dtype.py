"""The trainer's bfloat16 gated convolutions: which CPUs compute them natively, and the model it
compiles."""

import dataclasses
import logging
import sys

import pytest

from trainers import cpu_features, experiments, training
from zoo.models import ModelConfig

ZEN4 = "fpu avx2 avx512f avx512_bf16 avx512_vnni"
SAPPHIRE_RAPIDS = "fpu avx2 avx512f avx512_fp16 amx_bf16 amx_tile amx_int8"
ZEN3 = "fpu avx2 fma vaes"


@pytest.mark.parametrize("flags, native", [(ZEN4, True), (SAPPHIRE_RAPIDS, True), (ZEN3, False)])
def test_native_bfloat16_is_avx512_bf16_or_amx(flags, native):
    cpuinfo = f"processor\t: 0\nmodel name\t: some CPU\nflags\t\t: {flags}\n\n" * 2
    assert cpu_features.native_bfloat16(cpuinfo) is native
    assert cpu_features.cpu_name_and_flags(cpuinfo) == ("some CPU", set(flags.split()))
    assert cpu_features.native_bfloat16("processor\t: 0\nmodel name\t: no flags line\n") is False


def _tiny_convhvae_config(dtype):
    config = experiments.get_experiment("convhvae_vamp_static_mnist")
    return dataclasses.replace(
        config, model=ModelConfig(architecture="gated_conv_hvae", latent_dim=3, hidden_units=(16,)),
        train=dataclasses.replace(config.train, gated_conv_dtype=dtype))


def test_the_compiled_model_trains_its_gated_convs_in_the_configured_dtype(monkeypatch, caplog):
    assert training.compiled_model(_tiny_convhvae_config("float32"), (8, 8, 1)
                                   ).train_gated_conv_dtype == "float32"
    monkeypatch.setattr(cpu_features, "native_bfloat16", lambda: False)
    with caplog.at_level(logging.WARNING):
        model = training.compiled_model(_tiny_convhvae_config("bfloat16"), (8, 8, 1))
    assert model.train_gated_conv_dtype == "bfloat16"
    assert "without native bfloat16" in caplog.text


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

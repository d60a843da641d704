"""SavedModel export (TF Serving layout, validated signatures) and the pretrained registry.

    import savedmodels
    savedmodels.list()                           # what is available, with metrics
    pretrained = savedmodels.load("vae_standard_static_mnist")
    pretrained.signatures["log_likelihood"](x=x, num_samples=tf.constant(1000))
    pretrained.metrics["test_log_likelihood"]    # nats

Exports: `savedmodels.export.export_model(model, ...)`; of a training workdir,
`python -m trainers.export`.

The two functions import the registry when called, so that importing the
package stays light.
"""

__all__ = ["list", "load"]

from zoo import programs as _programs  # noqa: E402

# `python -m savedmodels.<program>`: oneDNN kernels and a quiet stderr (--tf_logs shows
# TensorFlow's C++ lines), set before TensorFlow loads.
_programs.setup_programs_of(__name__)


def list(directory=None):  # noqa: A001 (the registry's verb; shadows the builtin only here)
    """One summary dict per pretrained model: see `savedmodels.pretrained.list_pretrained`."""
    from savedmodels import pretrained

    return pretrained.list_pretrained(directory)


def load(name, version=None, directory=None):
    """A loaded pretrained export with its metadata: see `savedmodels.pretrained.load`."""
    from savedmodels import pretrained

    return pretrained.load(name, version, directory)

"""SavedModel export (TF Serving layout, validated signatures) and the pretrained registry.

    import savedmodels
    savedmodels.list()                           # what is available, with metrics
    pretrained = savedmodels.load("vae_standard_static_mnist")
    pretrained.signatures["log_likelihood"](x=x, num_samples=tf.constant(1000))
    pretrained.metrics["test_log_likelihood"]

Exports: `python -m savedmodels.export` (see `savedmodels/export.py`).
"""

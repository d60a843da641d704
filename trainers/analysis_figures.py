"""The figures of `trainers.analyze`: image grids (exact pixels) and matplotlib plots (PNG).

Image grids go through `zoo.images` so that one pixel of a sample is one pixel
of the PNG; histograms and curves are matplotlib figures (Agg backend, no
display needed).
"""

import glob
import os

import numpy as np
import tensorflow as tf

from zoo import evaluation
from zoo.images import image_grid, write_png

__all__ = ["training_curves", "write_all"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path):
    tmp = path + ".tmp.png"
    figure.savefig(tmp, dpi=80, bbox_inches="tight")
    _pyplot().close(figure)
    os.replace(tmp, path)


def _grid(output_dir, name, images, cols):
    write_png(os.path.join(output_dir, name), image_grid(np.asarray(images), cols=cols))
    return name


def _histograms(output_dir, name, panels, title):
    """One row of histograms: panels = [(values, x label), ...]."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(panels), figsize=(4 * len(panels), 3), squeeze=False)
    for axis, (values, label) in zip(axes[0], panels):
        axis.hist(np.asarray(values).ravel(), bins=50)
        axis.set_xlabel(label)
        axis.set_ylabel("count")
    figure.suptitle(title)
    _save(figure, os.path.join(output_dir, name))
    return name


def training_curves(workdir):
    """{split: {tag: (epochs, values)}} of the workdir's TensorBoard epoch scalars."""
    curves = {}
    for split in ("train", "validation"):
        for path in sorted(glob.glob(os.path.join(workdir, "tensorboard", split, "events.*"))):
            for event in tf.compat.v1.train.summary_iterator(path):
                for value in event.summary.value:
                    if value.tag.startswith("epoch_"):
                        series = curves.setdefault(split, {}).setdefault(value.tag, {})
                        series[event.step] = float(tf.make_ndarray(value.tensor))
    return {split: {tag: (np.array(sorted(s)), np.array([s[k] for k in sorted(s)]))
                    for tag, s in tags.items()} for split, tags in curves.items()}


def _curves_figure(output_dir, workdir):
    curves = {split: tags for split, tags in training_curves(workdir).items()
              if "epoch_elbo" in tags}    # an NCP folder's logs are its classifier's
    if not curves:
        return None
    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for split, tags in curves.items():
        epochs, values = tags["epoch_elbo"]
        axis.plot(epochs + 1, values, label=split)
    axis.set_xlabel("epoch")
    axis.set_ylabel("ELBO (nats)")
    axis.legend()
    # From the 5th percentile up: a run that blew up (an epoch's ELBO of -1e10) would
    # otherwise squash every other epoch into a flat line.
    low = min(np.percentile(tags["epoch_elbo"][1], 5) for tags in curves.values())
    high = max(np.max(tags["epoch_elbo"][1]) for tags in curves.values())
    axis.set_ylim(low, high + 0.05 * max(high - low, 1.0))
    _save(figure, os.path.join(output_dir, "training_curves.png"))
    return "training_curves.png"


def _interpolation_pairs(num_images, count, seed):
    rng = np.random.RandomState(seed)
    return rng.choice(num_images, size=(min(count, num_images // 2), 2), replace=False)


def write_all(output_dir, model, images, moments, pairs, log_likelihoods, workdir, seed=0):
    """Writes every figure that applies to `model`; returns their file names.

    Args:
        images: `[N, *event_shape]` test images; moments: {group: {"mean", "std"}}
            of their posteriors; pairs: {group: `closest_pairs` result};
            log_likelihoods: `[N]` nats; workdir: the training workdir or None.
    """
    top = model.LATENT_GROUPS[-1]
    names = []
    seeds = lambda k: tf.constant([seed, k], tf.int64)
    names.append(_grid(output_dir, "samples.png", model.sample(64, seed=seeds(0))["mean"], 8))

    shown = images[:16]
    loc = moments[top]["mean"][:16]
    names.append(_grid(output_dir, "reconstructions.png",
                       np.concatenate([shown, model.decode(loc).numpy()]), 16))

    steps = 9
    chosen = _interpolation_pairs(len(images), 6, seed)
    rows, densities = [], []
    for a, b in chosen:
        t, z = evaluation.interpolate(moments[top]["mean"][a], moments[top]["mean"][b], steps)
        rows.append(model.decode(z).numpy())
        densities.append(evaluation.prior_log_density_along(
            model, moments[top]["mean"][a], moments[top]["mean"][b], 50))
    names.append(_grid(output_dir, "interpolations.png", np.concatenate(rows), steps))

    plt = _pyplot()
    figure, axis = plt.subplots(figsize=(6, 3.5))
    for t, log_p in densities:
        axis.plot(t, log_p)
    axis.set_xlabel("t (from one test image's posterior mean to another's)")
    axis.set_ylabel("log p(z) (nats)")
    _save(figure, os.path.join(output_dir, "prior_along_interpolations.png"))
    names.append("prior_along_interpolations.png")

    names.append(_histograms(output_dir, "log_likelihood_histogram.png",
                             [(log_likelihoods, "test log-likelihood (nats)")],
                             "Test log-likelihoods"))
    names.append(_histograms(
        output_dir, "posterior_std_histogram.png",
        [(m["std"], f"std of q({g} | x) per unit") for g, m in moments.items()],
        "Posterior standard deviations"))
    names.append(_histograms(
        output_dir, "closest_pairs_histogram.png",
        [(pairs[top]["distance"], f"distance to the closest posterior mean ({top})"),
         (pairs[top]["normalized_distance"], "normalized distance (in stds)")],
        "Closest pairs of posteriors"))

    if hasattr(model.prior, "pseudo_inputs"):
        names.extend(_pseudo_input_figures(output_dir, model, seeds(1)))
    if workdir:
        curves = _curves_figure(output_dir, workdir)
        if curves:
            names.append(curves)
    return names


def _pseudo_input_figures(output_dir, model, seed):
    """The learned pseudo-inputs, and per row a pseudo-input then decoded samples of q(z | u_k)."""
    pseudo = np.clip(model.prior.pseudo_inputs.numpy(), 0.0, 1.0)
    names = [_grid(output_dir, "pseudo_inputs.png", pseudo[:64], 8)]
    rows = []
    for k in range(min(6, len(pseudo))):
        features = model.encoder(pseudo[k:k + 1])
        z, _ = model.posterior.sample_and_log_prob(features, 7, tf.stack([seed[0], seed[1] + k]))
        rows.append(np.concatenate([pseudo[k:k + 1], model.decode(z[:, 0]).numpy()]))
    names.append(_grid(output_dir, "pseudo_input_samples.png", np.concatenate(rows), 8))
    return names

"""The papers' analyses of one trained model, as numbers and figures.

    python -m trainers.analyze --workdir=DIR             [--data_dir=DIR] [--output_dir=DIR]
    python -m trainers.analyze --pretrained=NAME         (a shipped model: VAE.from_preset)
    python -m trainers.analyze --export_dir=EXPORT/1     (an export with its Keras model)

On `--num_examples` random test images (default: all) it writes
`<output_dir>/analysis.json`:
  - active units per latent group (Burda et al. 2016: Cov_x E_q[u] > 0.01);
  - rate and distortion in nats and bits/dim (`zoo.evaluation.rate_and_distortion`);
  - the closest pairs of posteriors and their normalized distances (Xu et al.
    2019, Appendix A), summarized;
  - the test log-likelihood histogram's counts and edges;
and PNG figures: samples, test images over their reconstructions,
interpolations between test images' posterior means, the log-likelihood
histogram (VampPrior Fig. 7), posterior stds, closest-pair distances and
normalized distances (Xu Fig. 3), the prior's log density along those
interpolations (Xu Fig. 2), for a VampPrior its pseudo-inputs and samples
from a few of them (VampPrior Fig. 4), and, when the training workdir is at
hand, the training curves from its TensorBoard logs.

The per-image log-likelihoods come from the workdir's `test_log_likelihoods.npz`
(the training program's evaluation) when it exists, else they are estimated
here with `--ll_num_samples` importance samples. The default output folder is
`<workdir>/analysis`, or `analysis/<name>` for an export.
"""

import json
import os
import time

import numpy as np

from zoo import datasets
from zoo.errors import UserError, exits_on_user_error

__all__ = ["AnalysisError", "analyze", "load_source", "test_subset"]


class AnalysisError(UserError, ValueError):
    """What to analyze cannot be found or read; the message says what is wrong."""


def load_source(workdir=None, pretrained=None, export_dir=None):
    """The model to analyze and where it came from.

    Returns:
        dict: "model", "name", "dataset", "pixels" (None: the dataset's own), "data_dir"
        (recorded, may be None),
        "workdir" (the training workdir when it exists on this machine, else None),
        "description".
    """

    from trainers import ncp_training, training

    chosen = [v for v in (workdir, pretrained, export_dir) if v]
    if len(chosen) != 1:
        raise AnalysisError("Pass exactly one of --workdir, --pretrained and --export_dir.")
    if workdir:
        if not os.path.isfile(os.path.join(workdir, "config.json")):
            raise AnalysisError(f"{workdir} is not a training workdir (it has no config.json).")
        if ncp_training.is_ncp_workdir(workdir):
            with open(os.path.join(workdir, "config.json")) as f:
                saved = json.load(f)
            config, data_dir = training.load_workdir_config(saved["base_workdir"])
            model = ncp_training.load_ncp_model(workdir)
        else:
            config, data_dir = training.load_workdir_config(workdir)
            model, _ = training.load_best_model(workdir)
        return {"model": model, "name": os.path.basename(os.path.abspath(workdir)),
                "dataset": config.data.name, "pixels": config.data.pixels,
                "data_dir": data_dir, "workdir": workdir,
                "description": config.description}
    from savedmodels.export import KERAS_CONFIG, read_metadata
    from zoo import presets

    if pretrained:
        export_dir = presets.preset_dir(pretrained)

    if not presets.keras_model_file(export_dir):
        raise AnalysisError(f"{export_dir} ships no Keras model ({KERAS_CONFIG}).")
    import zoo.models  # noqa: F401  (registers the zoo's classes for loading)

    metadata = read_metadata(export_dir)
    source = metadata.get("source") or {}
    recorded_workdir = source.get("workdir")
    return {"model": presets.load_keras_model(export_dir),
            "name": metadata["name"], "dataset": metadata["dataset"],
            "pixels": metadata.get("pixels"), "data_dir": source.get("data_dir"),
            "workdir": recorded_workdir if recorded_workdir and os.path.isdir(
                recorded_workdir) else None,
            "description": (metadata.get("experiment") or {}).get("description", "")}


def _summary(values):
    values = np.asarray(values, np.float64)
    return {"mean": float(values.mean()), "median": float(np.median(values)),
            "p10": float(np.percentile(values, 10)), "p90": float(np.percentile(values, 90))}


def test_subset(num_test, num_examples=None):
    """The test indices analyzed `[k]`: the first `num_examples` (default: all) of
    `zoo.datasets.random_test_order`, so that the figures' first images are of mixed classes."""
    return datasets.random_test_order(num_test)[:num_examples]


def _test_log_likelihoods(model, images, indices, workdir, num_samples, batch_size, seed):
    """(per-image log p(x) `[N]`, where they came from): the workdir's file, else estimated."""
    from zoo import evaluation

    path = os.path.join(workdir, "test_log_likelihoods.npz") if workdir else None
    if path and os.path.isfile(path):
        with np.load(path) as saved:
            position = {int(i): p for p, i in enumerate(saved["index"])}
            if all(int(i) in position for i in indices):   # the file covers every image
                return saved["log_likelihood"][[position[int(i)] for i in indices]], {
                    "file": path, "num_samples": int(saved["num_samples"])}
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
    values = evaluation.log_likelihood_over_dataset(
        model, dataset, num_samples=num_samples, chunk_size=min(num_samples, 25), seed=seed,
        progress=f"Test log-likelihoods (S = {num_samples})")
    return values, {"estimated_here": True, "num_samples": int(num_samples)}


def analyze(source, test_images, output_dir, num_examples=None, ll_num_samples=1000,
            batch_size=100, seed=0):
    """Runs every analysis of `source` (see `load_source`); writes into `output_dir`.

    Args:
        test_images: float32 `[N, *event_shape]`, the whole test set; the
            analysis uses `test_subset(N, num_examples)` of them.

    Returns:
        The dict written to `<output_dir>/analysis.json`.
    """
    import tensorflow as tf

    from zoo import evaluation

    model = source["model"]
    indices = test_subset(len(test_images), num_examples)
    images = np.asarray(test_images)[indices]
    os.makedirs(output_dir, exist_ok=True)
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
    started = time.time()
    moments = evaluation.posterior_moments_over_dataset(
        model, dataset, seed=seed, progress=f"Posterior moments of {len(images)} test images")
    rate_distortion = evaluation.rate_and_distortion(model, dataset, seed=seed,
                                                     progress="Rate and distortion")
    log_likelihoods, ll_source = _test_log_likelihoods(
        model, images, indices, source["workdir"], ll_num_samples, batch_size, seed)
    counts, edges = np.histogram(log_likelihoods, bins=50)
    results = {
        "name": source["name"], "dataset": source["dataset"],
        "description": source["description"], "num_examples": int(len(images)),
        "examples": "RandomState(0).permutation(num_test)[:num_examples]", "seed": seed,
        "units": "nats per example unless stated",
        "active_units": {}, "posterior_std": {}, "closest_pairs": {},
        "rate_distortion": rate_distortion,
        "test_log_likelihood": {"mean": float(np.mean(log_likelihoods)), **ll_source,
                                "histogram": {"counts": counts.tolist(),
                                              "edges": edges.tolist()}},
    }
    pairs = {}
    for group, m in moments.items():
        units = evaluation.active_units(m["mean"])
        results["active_units"][group] = {"count": units["count"], "dims": len(units["active"]),
                                          "threshold": 0.01,
                                          "activity": units["activity"].tolist()}
        results["posterior_std"][group] = _summary(m["std"])
        pairs[group] = evaluation.closest_pairs(m["mean"], m["std"])
        results["closest_pairs"][group] = {
            "distance": _summary(pairs[group]["distance"]),
            "normalized_distance": _summary(pairs[group]["normalized_distance"]),
            "fraction_normalized_below_2": float(
                np.mean(pairs[group]["normalized_distance"] < 2.0))}
    from trainers import analysis_figures

    results["figures"] = analysis_figures.write_all(
        output_dir, model, images, moments, pairs, log_likelihoods, source["workdir"],
        seed=seed)
    results["seconds"] = time.time() - started
    from zoo import files

    files.write_json_atomically(os.path.join(output_dir, "analysis.json"), results)
    return results


@exits_on_user_error("trainers.analyze")
def main(argv):
    del argv
    from absl import flags

    values = flags.FLAGS
    source = load_source(values.workdir, values.pretrained, values.export_dir)
    output_dir = values.output_dir or (
        os.path.join(values.workdir, "analysis") if values.workdir
        else os.path.join("analysis", source["name"]))
    splits = datasets.load_splits(source["dataset"], values.data_dir or source["data_dir"],
                                  pixels=source["pixels"])
    results = analyze(source, splits.test, output_dir, num_examples=values.num_examples,
                      ll_num_samples=values.ll_num_samples, seed=values.seed)
    units = ", ".join(f"{g} {u['count']}/{u['dims']}" for g, u in results["active_units"].items())
    rd = results["rate_distortion"]
    print(f"{source['name']} on {results['num_examples']} test images: active units {units}; "
          f"rate {rd['rate']:.2f} nats, distortion {rd['distortion']:.2f} nats; "
          f"test log-likelihood {results['test_log_likelihood']['mean']:.2f}.")
    print(f"Wrote {os.path.join(output_dir, 'analysis.json')} and {len(results['figures'])} "
          f"figures in {results['seconds']:.0f} s.")
    return 0


def _define_flags():
    from absl import flags

    flags.DEFINE_string("workdir", None, "A training workdir (trainers.train) or NCP folder.")
    flags.DEFINE_string("pretrained", None, "A shipped pretrained model's name.")
    flags.DEFINE_string("export_dir", None, "An export version folder with its Keras model.")
    flags.DEFINE_string("data_dir", None, "Folder of the dataset files (default: the recorded).")
    flags.DEFINE_string("output_dir", None, "Where analysis.json and the PNGs go.")
    flags.DEFINE_integer("num_examples", None, "Test images analyzed (default: all).")
    flags.DEFINE_integer("ll_num_samples", 1000, "Importance samples per image when the "
                         "per-image log-likelihoods are estimated here.")
    flags.DEFINE_integer("seed", 0, "Seed of the samples and Monte Carlo estimates.")


if __name__ == "__main__":
    from absl import app

    _define_flags()
    app.run(main)

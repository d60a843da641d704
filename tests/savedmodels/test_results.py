"""docs/results.md and the README's pretrained table are what `python -m savedmodels.results`
writes from the shipped exports; the writer's parsing and figures on a temporary registry."""

import math
import os
import sys

import pytest

from savedmodels import export, results
from zoo.models import build_gated_mlp_vae

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_committed_results_page_and_readme_table_are_generated():
    with open(os.path.join(ROOT, "docs", "results.md")) as f:
        assert f.read() == results.render_results(), (
            "docs/results.md is stale: run python -m savedmodels.results")
    with open(os.path.join(ROOT, "README.md")) as f:
        readme = f.read()
    assert results.update_readme(readme) == readme, (
        "README.md's pretrained table is stale: run python -m savedmodels.results")
    # Every shipped export is listed.
    page = results.render_results()
    for row in results.export_rows():
        assert f"| `{row['name']}/{row['version']}` |" in page


def test_rows_from_export_metadata(tmp_path):
    model = build_gated_mlp_vae((4, 4, 1), latent_dim=2, hidden_units=(8,), seed=0)
    experiment = {"name": "vae_x", "description": "Tomczak & Welling 2018, Table 2, HVAE (L = 2), "
                  "VampPrior, static MNIST: test LL -83.19 nats."}
    export.export_model(model, str(tmp_path), "vae_x", metadata={
        "experiment": experiment, "paper_nll": 83.19,
        "metrics": {"test_log_likelihood": -83.5, "test_log_likelihood_stderr": 0.25,
                    "log_likelihood_num_samples": 5000, "log_likelihood_num_examples": 10000},
        "training": {"epochs_trained": 700, "best_epoch": 649, "stopped_early": True,
                     "command": "python -m trainers.train --experiment=vae_x"},
        "reproduction": {"commit": "0123456789abcdef", "cpu": "Some CPU", "at_paper_budget": True,
                         "wall_seconds": {"train": 7200.0}}})
    export.export_model(model, str(tmp_path), "vae_x", metadata={
        "experiment": {"name": "vae_x", "description": "A row without a table"},
        "metrics": {"test_log_likelihood": -90.0}, "training": {}})
    first, second = results.export_rows(str(tmp_path))
    assert (first["paper"], first["table"], first["row"]) == (
        "Tomczak & Welling 2018", "Table 2", "HVAE (L = 2), VampPrior, static MNIST")
    assert first["paper_ll"] == -83.19 and first["difference"] == pytest.approx(-0.31)
    assert first["train_hours"] == 2.0 and first["at_paper_budget"] is True
    assert (second["paper"], second["row"], second["difference"]) == (
        None, "A row without a table", None)
    page = results.render_results(str(tmp_path))
    assert ("| `vae_x/1` | Tomczak & Welling 2018 | Table 2 "
            "| HVAE (L = 2), VampPrior, static MNIST | -83.19 "
            "| -83.50 ± 0.25 (S = 5,000, 10,000 images) | -0.31 | paper's schedule "
            "| 700 (best 649), early stop | 2.0 h | Some CPU | 0123456789ab |") in page
    assert "python -m trainers.train --experiment=vae_x" in page
    table = results.render_readme_table(str(tmp_path))
    assert "`vae_x` (v2)" in table and "(v1)" not in table   # the latest version only
    with pytest.raises(ValueError, match="no generated table"):
        results.update_readme("# A README\n", str(tmp_path))


def test_gray_level_rows_show_bits_per_dim_beside_nats(tmp_path):
    model = build_gated_mlp_vae((28, 20, 1), latent_dim=2, hidden_units=(8,), seed=0,
                                likelihood="discretized_logistic")
    nats = 4.63 * 560 * math.log(2)
    export.export_model(model, str(tmp_path), "vae_standard_frey_faces", metadata={
        "experiment": {"name": "vae_standard_frey_faces", "paper_bits_per_dim": 4.63,
                       "description": "Tomczak & Welling 2018, Table 1, VAE (L = 1), standard "
                                      "prior, Frey Faces: test NLL 4.63 bits/dim."},
        "paper_nll": nats, "pixels": "gray",
        "metrics": {"test_log_likelihood": -nats - 5.6, "test_log_likelihood_stderr": 3.0,
                    "test_nll_bits_per_dim": (nats + 5.6) / (560 * math.log(2))},
        "training": {}})
    (row,) = results.export_rows(str(tmp_path))
    assert row["bits_per_dim"] == pytest.approx(4.6444, abs=1e-4)
    assert row["difference"] == pytest.approx(-5.6)
    page = results.render_results(str(tmp_path))
    assert (f"| -{nats:.2f} (4.63 bits/dim) | -{nats + 5.6:.2f} ± 3.00, 4.64 bits/dim "
            f"| -5.60 |") in page
    assert "(4.63 bits/dim)" in results.render_readme_table(str(tmp_path))


if __name__ == "__main__":  # Bazel py_test entry point.
    sys.exit(pytest.main([__file__, "-q"]))

"""docs/analysis.md is what `python -m trainers.analysis_page` writes from docs/analysis/."""

import json
import os

import pytest

from trainers import analysis_page

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_the_committed_page_is_generated_from_the_committed_analyses():
    page = analysis_page.render_page(os.path.join(ROOT, "docs", "analysis"),
                                     os.path.join(ROOT, "docs"))
    assert open(os.path.join(ROOT, "docs", "analysis.md")).read() == page
    assert analysis_page.main(["--check"]) == 0
    # Every figure the page shows is committed.
    for link in [line.split("](", 1)[1][:-1] for line in page.splitlines()
                 if line.startswith("![")]:
        assert os.path.isfile(os.path.join(ROOT, "docs", link)), link


def test_rows_and_figures_come_from_the_analysis_files(tmp_path):
    analysis = {
        "description": "A row.", "figures": ["samples.png", "pseudo_inputs.png"],
        "test_log_likelihood": {"mean": -90.123},
        "rate_distortion": {"rate": 20.0, "distortion": 70.5},
        "active_units": {"z1": {"count": 3, "dims": 4}, "z2": {"count": 2, "dims": 4}},
        "closest_pairs": {"z1": {"normalized_distance": {"median": 1.0},
                                 "fraction_normalized_below_2": 0.9},
                          "z2": {"normalized_distance": {"median": 4.567},
                                 "fraction_normalized_below_2": 0.0123}},
    }
    (tmp_path / "analysis" / "m").mkdir(parents=True)
    json.dump(analysis, open(tmp_path / "analysis" / "m" / "analysis.json", "w"))
    page = analysis_page.render_page(str(tmp_path / "analysis"), str(tmp_path))
    assert ("| `m` | -90.12 | 90.50 | 20.00 | 70.50 | z1: 3 / 4; z2: 2 / 4 | 4.57 | 1.2% |"
            in page)                                 # the top group's pairs
    assert ("![Learned pseudo-inputs (VampPrior paper, Fig. 4)](analysis/m/pseudo_inputs.png)"
            in page)
    assert "training_curves.png" not in page         # only the figures it has
    output = tmp_path / "page.md"
    args = ["--analysis_dir", str(tmp_path / "analysis"), "--output", str(output)]
    assert analysis_page.main(args + ["--check"]) == 1 and not output.exists()
    assert analysis_page.main(args) == 0 and output.read_text() == page
    assert analysis_page.main(args + ["--check"]) == 0


def test_rate_distortion_sweeps_get_a_table_and_their_figure(tmp_path):
    folder = tmp_path / "analysis" / "rate_distortion"
    folder.mkdir(parents=True)
    sweep = {"experiment": "vae_x", "epochs": 20, "train_flags": ["--warmup_epochs=5"],
             "points": [{"prior": "realnvp", "beta": 0.5, "rate": 40.0, "distortion": 55.25,
                         "test_log_likelihood": -91.0},
                        {"prior": "standard", "beta": 2.0, "rate": 12.5, "distortion": 80.0,
                         "test_log_likelihood": -96.5}]}
    json.dump(sweep, open(folder / "vae_x_rd.json", "w"))
    page = analysis_page.render_page(str(tmp_path / "analysis"), str(tmp_path))
    assert "Budget: 20 epochs per run, `--warmup_epochs=5`." in page
    assert "| realnvp | 0.5 | 40.00 | 55.25 | 95.25 | -91.00 |" in page
    assert "| standard | 2 | 12.50 | 80.00 | 92.50 | -96.50 |" in page
    assert "rd.png" not in page                      # no figure file, no link
    (folder / "vae_x_rd.png").write_bytes(b"png")
    page = analysis_page.render_page(str(tmp_path / "analysis"), str(tmp_path))
    assert "(analysis/rate_distortion/vae_x_rd.png)" in page


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

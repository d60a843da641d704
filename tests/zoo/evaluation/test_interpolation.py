"""The prior's log density along a segment, against scipy."""

import numpy as np
import pytest
from scipy import stats

from tests.tiny_models import tiny_vae
from zoo import evaluation


def test_the_standard_prior_along_a_segment_is_scipys_density():
    model = tiny_vae("standard")
    z_from, z_to = np.array([-2.0, 0.0, 1.0]), np.array([2.0, 1.0, -1.0])
    t, log_p = evaluation.prior_log_density_along(model, z_from, z_to, num_points=9)
    np.testing.assert_allclose(t, np.linspace(0, 1, 9))
    points = (1 - t)[:, None] * z_from + t[:, None] * z_to
    np.testing.assert_allclose(log_p, stats.multivariate_normal(np.zeros(3)).logpdf(points),
                               rtol=1e-5)
    _, z = evaluation.interpolate(z_from, z_to, 5)
    np.testing.assert_allclose(z[[0, -1]], [z_from, z_to])


if __name__ == "__main__":  # Bazel py_test entry point.
    import sys
    sys.exit(pytest.main([__file__, "-q"]))

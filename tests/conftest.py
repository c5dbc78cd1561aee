import os

# CUDA tests run on numba-cuda's simulator unless told otherwise: on a GPU machine,
# NUMBA_ENABLE_CUDASIM=0 runs the same tests on the device. (Set before anything
# imports numba.cuda.)
os.environ.setdefault("NUMBA_ENABLE_CUDASIM", "1")

# A fresh persistent derivative cache per run (per xdist worker): the suite tests cold
# compilation, and leaves the user's cache alone. (Set before anything imports numbad.)
import tempfile  # noqa: E402

os.environ["NUMBAD_CACHE_DIR"] = tempfile.mkdtemp(prefix="numbad-test-cache-")

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=20,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=20, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")

try:
    import jax
    jax.config.update("jax_enable_x64", True)
except ImportError:       # JAX comparisons are skipped without it
    jax = None


def pytest_configure(config):
    config.addinivalue_line("markers", "slow: long checks, left out of the default run")


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def jax_module():
    if jax is None:
        pytest.skip("jax is not installed")
    return jax

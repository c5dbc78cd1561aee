"""Hypothesis's random scalar programs (tests/test_random_programs.py: loops with run-time
trip counts, while loops, break/continue/return, branches, an @njit helper) run per
thread inside a kernel: the adjoint kernel's shadows and the device-function gradient
must equal numbad's CPU gradient of the same program at each thread's inputs."""
import importlib.util
import itertools
import os
import tempfile

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

cuda = pytest.importorskip("numba.cuda")

from test_random_programs import HELPER, programs  # noqa: E402

import numbad  # noqa: E402
import numbad.cuda  # noqa: E402

_counter = itertools.count()
KERNELS = """
device_f = cuda.jit(device=True)(f)
grad_f = numbad.grad(device_f, argnums=(0, 1), target="cuda")


@cuda.jit
def run(xs, ys, n, out):
    i = cuda.grid(1)
    if i < xs.size:
        out[i] = device_f(xs[i], ys[i], n)


@cuda.jit
def run_grad(xs, ys, n, gx, gy):
    i = cuda.grid(1)
    if i < xs.size:
        gx[i], gy[i] = grad_f(xs[i], ys[i], n)
"""


def load(source):
    """The program ``f``, a kernel running it per thread and one running its gradient."""
    path = os.path.join(tempfile.mkdtemp(prefix="numbad_cuda_prog_"),
                        "cudaprog%d.py" % next(_counter))
    with open(path, "w") as fh:
        fh.write("import math\nimport numba\nimport numbad\nfrom numba import cuda\n"
                 + HELPER + "\n" + source + KERNELS)
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(source, xs, ys, n):
    m = load(source)
    xs, ys = np.array(xs), np.array(ys)
    cpu = numbad.grad(m.f, argnums=(0, 1))
    expected = np.array([cpu(x, y, n) for x, y in zip(xs, ys)])
    w = np.linspace(0.5, 1.5, xs.size)          # the output's cotangent per thread
    dx, dy, out = np.zeros_like(xs), np.zeros_like(ys), np.zeros_like(xs)
    dout = w.copy()
    numbad.cuda.grad_kernel(m.run)[1, 32](xs, dx, ys, dy, n, out, dout)
    np.testing.assert_allclose(out, [m.f(x, y, n) for x, y in zip(xs, ys)], rtol=1e-12)
    np.testing.assert_allclose(dx, w * expected[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(dy, w * expected[:, 1], rtol=1e-9, atol=1e-12)
    gx, gy = np.zeros_like(xs), np.zeros_like(ys)
    m.run_grad[1, 32](xs, ys, n, gx, gy)
    np.testing.assert_allclose(gx, expected[:, 0], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(gy, expected[:, 1], rtol=1e-9, atol=1e-12)


VALUES = st.lists(st.floats(-1.5, 1.5), min_size=3, max_size=3)


@settings(max_examples=5)
@given(programs(), VALUES, VALUES, st.integers(0, 4))
def test_random_programs_per_thread(source, xs, ys, n):
    _check(source, xs, ys, n)


@pytest.mark.slow
@settings(max_examples=40)
@given(programs(), VALUES, VALUES, st.integers(0, 4))
def test_random_programs_per_thread_explored(source, xs, ys, n):
    _check(source, xs, ys, n)

"""numbad.cuda.grad_kernel: adjoint kernels against the CPU gradient of the same code
and against central differences of the kernel itself (simulator in CI; unchanged on a
GPU with NUMBA_ENABLE_CUDASIM=0)."""
import os
import pickle
import subprocess
import sys

import cloudpickle
import numpy as np
import pytest

cuda = pytest.importorskip("numba.cuda")

from cuda_kernels import (  # noqa: E402
    decay_in_place,
    ensemble,
    ensemble_cpu,
    grid_stride_scale,
    grid_stride_scale_cpu,
    logistic_rows,
    logistic_rows_cpu,
    nbody_forces,
    nbody_forces_cpu,
    neighbour_sum,
    neighbour_sum_cpu,
    saxpy,
    saxpy_cpu,
    stencil1d,
    stencil1d_cpu,
    stencil2d,
    stencil2d_cpu,
    weighted_sum_of_squares,
    weighted_sum_of_squares_cpu,
)

import numbad  # noqa: E402
import numbad.cuda  # noqa: E402


def run_adjoint(kernel, config, args, out_index, weights, adj=None):
    """Launch the adjoint of ``kernel`` (or ``adj``) on device copies of ``args``, seeding
    the output ``args[out_index]`` with ``weights``; the shadows (as host arrays) by
    argument."""
    adj = adj or numbad.cuda.grad_kernel(kernel)
    launch, shadows = [], {}
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            d = cuda.to_device(a.copy())
            s = cuda.to_device(weights.copy() if i == out_index else np.zeros_like(a))
            shadows[i] = s
            launch += [d, s]
        else:
            launch.append(a)
    adj[config](*launch)
    return {i: s.copy_to_host() for i, s in shadows.items()}


def kernel_loss(kernel, config, args, out_index, weights):
    """sum(weights * output) after one launch of the primal kernel."""
    dev = [cuda.to_device(a.copy()) if isinstance(a, np.ndarray) else a for a in args]
    kernel[config](*dev)
    return float(np.sum(weights * dev[out_index].copy_to_host()))


def check_against_differences(kernel, config, args, out_index, weights, shadows, rng,
                              directions=2, h=1e-6, rtol=1e-6):
    """Directional central differences of the kernel's loss along random directions in
    every float input (the shadows hold the gradient of the loss at launch)."""
    for _ in range(directions):
        v = {i: rng.normal(size=args[i].shape) for i in shadows if i != out_index}
        up = [a + h * v[i] if i in v else a for i, a in enumerate(args)]
        down = [a - h * v[i] if i in v else a for i, a in enumerate(args)]
        fd = (kernel_loss(kernel, config, up, out_index, weights)
              - kernel_loss(kernel, config, down, out_index, weights)) / (2 * h)
        ad = sum(float(np.sum(shadows[i] * v[i])) for i in v)
        np.testing.assert_allclose(ad, fd, rtol=rtol, atol=1e-8)


def cpu_gradient(cpu, args, wrt, weights):
    """numbad's CPU gradient of sum(weights * cpu(*args)) w.r.t. ``args[wrt]``."""
    params = ", ".join("a%d" % i for i in range(len(args)))
    ns = {"np": np, "cpu": cpu}
    exec("def loss(%s, w):\n    return np.sum(w * cpu(%s))" % (params, params), ns)
    g = numbad.grad(ns["loss"], argnums=tuple(wrt))(*args, weights)
    return dict(zip(wrt, g))


def check(kernel, cpu, config, args, out_index, rng, fd_directions=1, rtol=1e-6):
    out_shape = args[out_index].shape
    weights = rng.normal(size=out_shape)
    shadows = run_adjoint(kernel, config, args, out_index, weights)
    inputs = [i for i in shadows if i != out_index]
    cpu_args = [a for i, a in enumerate(args) if i != out_index]
    position = {i: k for k, i in enumerate(j for j in range(len(args)) if j != out_index)}
    ref = cpu_gradient(cpu, cpu_args, [position[i] for i in inputs], weights)
    for i in inputs:
        np.testing.assert_allclose(shadows[i], ref[position[i]], rtol=rtol, atol=1e-10)
    check_against_differences(kernel, config, args, out_index, weights, shadows, rng,
                              directions=fd_directions)
    return shadows


def test_saxpy(rng):
    n = 45
    x, y = rng.normal(size=n), rng.normal(size=n)
    shadows = check(saxpy, saxpy_cpu, (2, 32), [1.7, x, y, np.zeros(n)], 3, rng)
    assert not shadows[3].any()     # an overwritten output's shadow ends zero


def test_an_adjoint_kernel_pickles(rng):
    """A pickle holds the kernel and the options (cloudpickle: the simulator's kernels
    do not pickle by reference); the copy builds its own adjoint, with the same
    shadows."""
    n = 45
    args, weights = [1.7, rng.normal(size=n), rng.normal(size=n), np.zeros(n)], \
        rng.normal(size=n)
    adj = numbad.cuda.grad_kernel(saxpy, tape_entries=8)
    first = run_adjoint(saxpy, (2, 32), args, 3, weights, adj)
    copy = pickle.loads(cloudpickle.dumps(adj))
    assert copy is not adj and copy.tape_entries == 8
    for i, shadow in run_adjoint(saxpy, (2, 32), args, 3, weights, copy).items():
        np.testing.assert_array_equal(shadow, first[i])


def test_stencil_1d(rng):
    n = 40
    u = rng.normal(size=n)
    check(stencil1d, stencil1d_cpu, (2, 32), [0.3, u, np.zeros(n)], 2, rng)


def test_stencil_2d(rng):
    u, k = rng.normal(size=(9, 11)), rng.uniform(0.5, 1.5, size=(9, 11))
    check(stencil2d, stencil2d_cpu, ((3, 3), (4, 4)), [0.05, u, k, np.zeros((9, 11))], 3,
          rng)


def test_reduction_with_atomics(rng):
    n = 50
    x, w = rng.normal(size=n), rng.normal(size=n)
    shadows = check(weighted_sum_of_squares, weighted_sum_of_squares_cpu, (2, 32),
                    [x, w, np.zeros(2)], 2, rng)
    # accumulated into, not overwritten: the total's shadow keeps its cotangent
    assert shadows[2].any()


def test_nbody_forces(rng):
    n = 24
    pos, mass = rng.normal(size=(n, 3)), rng.uniform(0.5, 2.0, size=n)
    check(nbody_forces, nbody_forces_cpu, (1, 32), [pos, mass, 0.1, np.zeros((n, 3))], 3,
          rng)


def test_ensemble_of_odes_grows_its_tape(rng):
    n = 20
    params = np.column_stack([rng.uniform(1, 4, n), rng.uniform(0.05, 0.3, n)])
    y0 = rng.normal(size=(n, 2))
    # 150 steps tape more than the first launch's 64 entries per thread: the launch runs
    # again with the tape it reported it needed, from the arrays as they were
    check(ensemble, ensemble_cpu, (1, 32), [params, y0, 0.01, 150, np.zeros((n, 2))], 4,
          rng)


def test_grid_stride_loop_over_thread_coordinates(rng):
    # fewer threads than elements: each thread loops, its tape grows past the first size
    n = 300
    x, s = rng.normal(size=n), np.array([1.3])
    check(grid_stride_scale, grid_stride_scale_cpu, (1, 4), [x, s, np.zeros(n)], 2, rng)


def test_explicit_thread_coordinates_are_private(rng):
    w, x = rng.normal(size=20), rng.normal(size=(20, 5))
    check(logistic_rows, logistic_rows_cpu, (1, 32), [w, x, np.zeros((20, 5))], 2, rng)
    src = numbad.cuda.grad_kernel(logistic_rows).source(w, w, x, x, x, x)
    assert "cuda.atomic.add" not in src     # w[i], x[i, j]: the thread's own elements


def test_array_read_through_a_device_function_is_shared(rng):
    x = rng.normal(size=40)
    check(neighbour_sum, neighbour_sum_cpu, (2, 32), [x, np.zeros(40)], 1, rng)
    src = numbad.cuda.grad_kernel(neighbour_sum).source(x, x, x, x)
    # x[i] and (as the device function's a[j + 1]) x[i + 1]: every add is atomic
    assert "x_bar[" not in src.replace("cuda.atomic.add(x_bar, ", "")


def test_more_launch_dimensions_than_the_kernel_tells_apart(rng):
    # cuda.grid(1) on 2-D blocks: two threads share each i (both add x[i]**2 into the
    # total), so x's adjoint may not be a thread's own: the adjoint drops plain adds
    n = 20
    x, w = rng.normal(size=n), rng.normal(size=n)
    dx, dw, dtotal = np.zeros(n), np.zeros(n), np.array([1.0, 0.0])
    adj = numbad.cuda.grad_kernel(weighted_sum_of_squares)
    assert "x_bar[i] +=" in adj.source(x, dx, w, dw, np.zeros(2), dtotal)
    adj[1, (32, 2)](x, dx, w, dw, np.zeros(2), dtotal)
    np.testing.assert_allclose(dx, 2 * 2 * w * x, rtol=1e-12)
    assert any(not private for _, private in adj._built)


def test_numpy_scalar_arguments_survive_a_relaunch(rng):
    n = 6
    params = np.column_stack([rng.uniform(1, 4, n), rng.uniform(0.05, 0.3, n)])
    y0, w = rng.normal(size=(n, 2)), rng.normal(size=(n, 2))
    dp, dy0, dout = np.zeros_like(params), np.zeros_like(y0), w.copy()
    numbad.cuda.grad_kernel(ensemble)[1, 32](params, dp, y0, dy0, np.float64(0.01),
                                             np.int64(100), np.zeros((n, 2)), dout)
    ref = cpu_gradient(ensemble_cpu, [params, y0, 0.01, 100], [0, 1], w)
    np.testing.assert_allclose(dp, ref[0], rtol=1e-9)


def test_lane_id_is_refused():
    @cuda.jit
    def by_lane(x, out):
        i = cuda.grid(1)
        out[i] = x[i] * cuda.laneid

    x = np.ones(4)
    with pytest.raises(numbad.NotDifferentiableError):
        numbad.cuda.grad_kernel(by_lane)[1, 4](x, x.copy(), x.copy(), x.copy())


def test_grid_stride_loops_are_private():
    x = np.ones(8)
    src = numbad.cuda.grad_kernel(grid_stride_scale).source(x, x, x[:1], x[:1], x, x)
    # i in range(threadIdx.x + blockIdx.x * blockDim.x, n, blockDim.x * gridDim.x): each
    # element is one thread's; s[0] is everybody's
    assert "cuda.atomic.add(x_bar" not in src and "cuda.atomic.add(s_bar" in src


def test_float32_kernel(rng):
    n = 40
    x, s = rng.normal(size=n).astype(np.float32), np.array([0.7], np.float32)
    w = rng.normal(size=n).astype(np.float32)
    dx, ds, out, dout = np.zeros_like(x), np.zeros_like(s), np.zeros_like(x), w.copy()
    numbad.cuda.grad_kernel(grid_stride_scale)[2, 32](x, dx, s, ds, out, dout)
    ref = cpu_gradient(grid_stride_scale_cpu, [x.astype(float), s.astype(float)], [0, 1],
                       w.astype(float))
    assert dx.dtype == np.float32
    np.testing.assert_allclose(dx, ref[0], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(ds, ref[1], rtol=1e-4)


def test_fixed_tape_size(rng):
    n = 8
    params = np.column_stack([rng.uniform(1, 4, n), rng.uniform(0.05, 0.3, n)])
    y0 = rng.normal(size=(n, 2))
    w = rng.normal(size=(n, 2))

    def launch(tape_entries, steps):
        dp, dy0, dout = np.zeros_like(params), np.zeros_like(y0), w.copy()
        adj = numbad.cuda.grad_kernel(ensemble, tape_entries=tape_entries)
        adj[1, 32](params, dp, y0, dy0, 0.01, steps, np.zeros((n, 2)), dout)
        return dp, dy0

    learnt = launch(None, 30)
    for got, ref in zip(launch(500, 30), learnt):    # big enough: the same, no copies
        np.testing.assert_array_equal(got, ref)
    with pytest.raises(MemoryError, match="tape_entries=500"):
        launch(500, 300)


def test_in_place_update_shadow_is_cotangent_at_launch(rng):
    n = 33
    rate, u0 = rng.uniform(0.1, 0.5, n), rng.uniform(0.1, 0.9, n)
    w = rng.normal(size=n)
    du, drate = w.copy(), np.zeros(n)
    u = u0.copy()
    numbad.cuda.grad_kernel(decay_in_place)[2, 32](rate, drate, u, du)
    np.testing.assert_allclose(u, u0 + rate * u0 * (1 - u0))    # the kernel's result
    np.testing.assert_allclose(du, w * (1 + rate * (1 - 2 * u0)), rtol=1e-12)
    np.testing.assert_allclose(drate, w * u0 * (1 - u0), rtol=1e-12)


def test_thread_private_writes_use_plain_stores():
    adj = numbad.cuda.grad_kernel(saxpy)
    x = np.ones(4)
    src = adj.source(1.0, x, x, x, x, x, x)
    assert "cuda.atomic" not in src and "x_bar[i] +=" in src
    src = numbad.cuda.grad_kernel(stencil1d).source(1.0, x, x, x, x)
    # neighbours share elements, so every add into u's adjoint is atomic (a plain += of
    # u[i]'s share would race with the neighbours' atomic adds of theirs)
    assert "u_bar[" not in src.replace("cuda.atomic.add(u_bar, ", "")
    p = np.ones((4, 2))
    src = numbad.cuda.grad_kernel(ensemble).source(p, p, p, p, 0.1, 3, p, p)
    assert "cuda.atomic.add" not in src     # params[i, 0], y0[i, 1]: rows of their own


def test_shared_memory_is_refused():
    from numba import float64

    @cuda.jit
    def block_sum(x, out):
        tile = cuda.shared.array(32, float64)
        i = cuda.grid(1)
        tile[cuda.threadIdx.x] = x[i]
        cuda.syncthreads()
        out[i] = tile[0]

    x = np.ones(32)
    with pytest.raises(numbad.NotDifferentiableError, match="shared") as err:
        numbad.cuda.grad_kernel(block_sum)[1, 32](x, x.copy(), x.copy(), x.copy())
    assert "test_cuda_kernels.py" in str(err.value)


def test_wrong_argument_count():
    with pytest.raises(TypeError, match="followed by its shadow"):
        numbad.cuda.grad_kernel(saxpy)[1, 32](1.0, np.ones(4), np.ones(4), np.ones(4))


def test_adjoint_kernels_compile_for_a_gpu():
    """numba-cuda compiles every adjoint above to PTX (the simulator would run code that
    a GPU build refuses); skipped where numba-cuda's CUDA toolkit extra is missing."""
    script = os.path.join(os.path.dirname(__file__), "cuda_ptx_check.py")
    env = dict(os.environ, NUMBA_ENABLE_CUDASIM="0")
    done = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True,
                          timeout=600)
    if done.returncode == 3:
        pytest.skip(done.stdout.strip())
    assert done.returncode == 0, done.stdout + done.stderr
    lines = dict(line.split(": ", 1) for line in done.stdout.strip().splitlines())
    assert "0 atomic adds" in lines["saxpy"]                # thread-private: plain stores
    assert "0 atomic adds" in lines["ensemble"]
    assert "0 atomic adds" not in lines["stencil1d"]


@cuda.jit
def powers_of_neighbours(x, out):
    i = cuda.grid(1)
    if i < out.shape[0]:
        s = 0.0
        for k in range(3):
            s += x[i] * x[i + 1] * (k + 1)
        out[i] = s


def test_adjoints_of_shared_elements_are_not_held_in_locals():
    """x[i] and x[i + 1] are read at one place for the whole inner loop, but neighbours
    share them: their adjoints go to memory atomically each time, not gathered in a
    local and added by a plain += at the loop's end (a race on a GPU)."""
    x, w = np.linspace(0.5, 1.5, 9), np.linspace(1.0, 2.0, 8)
    src = numbad.cuda.grad_kernel(powers_of_neighbours).source(x, x, w, w)
    assert "_held" not in src and "x_bar[" not in src.replace("cuda.atomic.add(x_bar, ", "")
    shadows = run_adjoint(powers_of_neighbours, (1, 8), (x, np.zeros(8)), 1, w)
    expected = np.zeros(9)
    expected[:-1] += 6.0 * w * x[1:]
    expected[1:] += 6.0 * w * x[:-1]
    np.testing.assert_allclose(shadows[0], expected, rtol=1e-12)

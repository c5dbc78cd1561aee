"""numbad on CUDA (numba-cuda): adjoint kernels and per-thread gradients.

``grad_kernel(kernel)`` gives the adjoint of a ``@cuda.jit`` kernel, launched
with the same grid, each float array argument followed by its shadow (DESIGN.md,
"CUDA").  ``numbad.grad(f, target="cuda")`` and ``numbad.jvp`` on the device are
in device.py.  Set ``NUMBA_ENABLE_CUDASIM=1`` to run all of it on numba-cuda's
simulator, without a GPU.
"""
from .device import device_grad, device_jvp
from .launch import AdjointKernel


def grad_kernel(kernel, tape_entries=None):
    """The adjoint kernel of ``kernel``: ``adj[blocks, threads](a, x, dx, y, dy, out,
    dout)``; before the launch each shadow holds the cotangent of its array's content
    after the kernel, after it the cotangent of its content at launch (inputs' shadows
    gain the vector-Jacobian product; an overwritten output's shadow is zeroed). An
    array the kernel updates in place ends as the kernel leaves it, or, where the
    reverse sweep puts overwritten values back to read them (kernels with loops), as
    it was at launch: launch the kernel itself for its results.

    ``tape_entries``: per-thread tape size of a kernel with loops. By default it is
    learnt: a launch whose threads outgrow it runs again, from copies of its arrays
    taken before each launch, with the size they reported. Given, no copies are
    taken, and outgrowing it raises ``MemoryError``."""
    return AdjointKernel(kernel, tape_entries)


__all__ = ["grad_kernel", "device_grad", "device_jvp"]

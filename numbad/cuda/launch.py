"""``numbad.cuda.grad_kernel``: build adjoint kernels per signature and launch them."""
import inspect
import re

import numpy as np
from numba import cuda
from numba.core import types

from .. import codegen
from ..analysis import is_float_array
from ..pickling import Portable
from . import frontend
from .kernels import KernelAdjoint
from .tape import RUNTIME

FIRST_TAPE_ENTRIES = 64     # per thread, for a kernel with loops, until a launch says more


class _Built:
    """The compiled adjoint of a kernel for one signature."""

    def __init__(self, kernel, arg_types, private=True):
        tir = frontend.typed_ir(kernel, arg_types)
        name = "adjoint_" + re.sub(r"\W", "_", tir.func.__name__)
        transform = KernelAdjoint(tir, name, private)
        self.private_dims = transform.private_dims
        self.source = transform.source()
        ns = dict(transform.ns)
        ns.update(RUNTIME)
        self.dispatcher = codegen.compile_source(self.source, name, ns, decorate=cuda.jit)
        # without loops every push runs at most once: the stores in the source bound the
        # tape; with loops the tape is sized by launches (``_need``)
        self.has_loops = bool(transform.info.in_loop)
        self.capacity = [FIRST_TAPE_ENTRIES] * 2 if self.has_loops else [
            self.source.count("_store_f("), self.source.count("_store_i(")]


class AdjointKernel(Portable):
    """The adjoint of a ``@cuda.jit`` kernel; launch it as ``adj[blocks, threads](...)``
    with each float array argument followed by its shadow (DESIGN.md, "CUDA"). It
    pickles as the kernel and ``tape_entries`` (numbad.pickling)."""

    def __init__(self, kernel, tape_entries=None):
        self._remember(kernel, tape_entries)
        self.kernel = kernel
        self.tape_entries = tape_entries
        self.func = frontend.python_function(kernel)
        self.nparams = len(inspect.signature(self.func).parameters)
        self._built = {}
        self._tapes = {}        # stream -> (float tape, int tape): launches on one stream
        self._unused_need = None    # (run one after another, so they may share tapes)

    def __getitem__(self, config):
        return lambda *args: self._launch(config, args)

    def source(self, *args):
        """The generated adjoint kernel's source, for launch arguments ``args``."""
        return self._build(self._split(args)[1], 1).source

    def _split(self, args):
        """(primal arguments, their Numba types, shadows by primal position) of
        interleaved ``args``."""
        primals, arg_types, shadows, k = [], [], {}, 0
        for _ in range(self.nparams):
            if k >= len(args):
                break
            primals.append(args[k])
            arg_types.append(frontend.arg_type(args[k]))
            if is_float_array(arg_types[-1]):
                if k + 1 >= len(args):
                    break
                shadows[len(primals) - 1] = args[k + 1]
                k += 1
            k += 1
        if len(primals) != self.nparams or k != len(args):
            raise TypeError("the adjoint of %s takes its %d arguments, each float array "
                            "followed by its shadow (%d given)"
                            % (self.func.__name__, self.nparams, len(args)))
        return primals, tuple(arg_types), shadows

    def _build(self, arg_types, dims):
        """The adjoint for Numba types ``arg_types``, launched over ``dims`` grid
        dimensions: a variant without thread-private arrays when the kernel tells threads
        apart by fewer dimensions than the launch has (``cuda.grid(1)`` on 2-D blocks)."""
        built = self._variant(arg_types, True)
        if 0 < built.private_dims < dims:
            built = self._variant(arg_types, False)
        return built

    def _variant(self, arg_types, private):
        key = (arg_types, private)
        if key not in self._built:
            built = self._built[key] = _Built(self.kernel, arg_types, private)
            if self.tape_entries is not None and built.has_loops:
                built.capacity = [self.tape_entries] * 2
        return self._built[key]

    def _launch(self, config, args):
        primals, arg_types, shadows = self._split(args)
        built = self._build(arg_types, _dimensions(config))
        threads = _thread_count(config)
        arrays = [a for a, t in zip(primals, arg_types) if isinstance(t, types.Array)]
        arrays += list(shadows.values())
        # a kernel with loops may find its tapes too small: unless told their size, keep
        # copies of the arrays to launch again from
        rerun = built.has_loops and self.tape_entries is None
        stream = config[2] if len(config) > 2 else None
        while True:
            ftape, itape = self._tapes_for(built.capacity, threads, stream)
            need = cuda.to_device(np.zeros(2, np.int64)) if built.has_loops else \
                self._no_need()
            saved = [_copy(a) for a in arrays] if rerun else None
            built.dispatcher[config](*args, ftape, itape, need)
            if not built.has_loops:
                return
            needed = need.copy_to_host()
            if all(n <= c for n, c in zip(needed, built.capacity)):
                return
            if not rerun:
                raise MemoryError(
                    "numbad: a thread of the adjoint of %s needed %d tape entries, more "
                    "than tape_entries=%d; the shadows and arrays of this launch are not "
                    "usable (grad_kernel(kernel, tape_entries=%d), or leave it out: then "
                    "launches are repeated with bigger tapes)"
                    % (self.func.__name__, max(needed), self.tape_entries, max(needed)))
            # some threads stopped recording: put every array back and launch again
            built.capacity = [max(c, int(n)) for c, n in zip(built.capacity, needed)]
            for a, copy in zip(arrays, saved):
                _restore(a, copy)

    def _tapes_for(self, capacity, threads, stream):
        rows = [max(1, c) for c in capacity]
        t = self._tapes.get(stream)
        if t is None or t[0].shape[0] < rows[0] or t[1].shape[0] < rows[1] or \
                t[0].shape[1] < threads:
            t = self._tapes[stream] = (cuda.device_array((rows[0], threads), np.float64),
                                       cuda.device_array((rows[1], threads), np.int64))
        return t

    def _no_need(self):
        """The ``_need`` argument of a kernel without loops (its tapes never fill up)."""
        if self._unused_need is None:
            self._unused_need = cuda.device_array(2, np.int64)
        return self._unused_need


def _thread_count(config):
    """Threads in a launch ``[blocks, threads, ...]`` (ints or tuples)."""
    n = 1
    for dims in config[:2]:
        for d in (dims if isinstance(dims, tuple) else (dims,)):
            n *= int(d)
    return n


def _dimensions(config):
    """How many grid dimensions a launch ``[blocks, threads, ...]`` spreads threads over."""
    dims = 1
    for extent in config[:2]:
        extent = extent if isinstance(extent, tuple) else (extent,)
        dims = max([dims] + [i + 1 for i, d in enumerate(extent) if int(d) > 1])
    return dims


def _copy(a):
    if isinstance(a, np.ndarray):
        return a.copy()
    if not (a.is_c_contiguous() or a.is_f_contiguous()):
        raise ValueError("numbad: the adjoint of a kernel with loops copies its device arrays "
                         "to launch again with bigger tapes, and Numba copies only "
                         "contiguous ones: pass contiguous arrays, or grad_kernel(kernel, "
                         "tape_entries=N) (no copies)")
    c = cuda.device_array(a.shape, a.dtype)
    c.copy_to_device(a)
    return c


def _restore(a, copy):
    if isinstance(a, np.ndarray):
        a[...] = copy
    else:
        a.copy_to_device(copy)

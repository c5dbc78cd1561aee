"""Derivative objects that survive pickling (pickle and cloudpickle): for Dask,
multiprocessing, or a gradient saved with its optimiser state.

A derivative object is pickled as what made it -- the function and the options --
never as compiled code (compiled code is per process): the receiving process
rebuilds the object and compiles on its first call there, as Numba's dispatchers
do. Every object carries a token, and all copies of one object that a process
receives (Dask sends one with each task) become a single object there, which
compiles once. An object that its module holds under its own name (``@grad_jit`` on
a module's function) is pickled by reference, as that module's functions are.
"""
import sys
import threading
import uuid

# token -> the object rebuilt from it in this process. Kept for the life of the
# process, as compiled derivatives are (derivatives._cache): a worker that was sent
# a gradient once keeps its compiled code for the next task that sends it again.
_rebuilt = {}
_lock = threading.Lock()


class Portable:
    """Mixin of the derivative objects: ``_remember(*args)`` in ``__init__`` records
    the constructor's arguments, which are what a pickle holds."""

    def _remember(self, *init_args):
        self._init_args = init_args
        self._token = uuid.uuid4().hex

    def __reduce__(self):
        name = getattr(self, "__qualname__", None)
        module = sys.modules.get(getattr(self, "__module__", None) or "")
        if name and module is not None and module.__name__ != "__main__" \
                and _attribute(module, name) is self:
            return name     # by reference: the receiver imports the module
        return _rebuild, (self._token, type(self), self._init_args)


def _attribute(module, qualname):
    obj = module
    for part in qualname.split("."):
        obj = getattr(obj, part, None)
    return obj


def _rebuild(token, cls, init_args):
    """The object ``cls(*init_args)`` that ``token`` names in this process (made on the
    first call, the same one after)."""
    with _lock:
        obj = _rebuilt.get(token)
        if obj is None:
            obj = cls(*init_args)
            obj._token = token
            _rebuilt[token] = obj
        return obj

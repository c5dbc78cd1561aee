"""numbad derivatives over an ensemble on Dask (``pip install numbad[dask]``).

Fitting shared parameters to many simulations (measured trajectories, an
ensemble, a parameter sweep) needs the sum of one gradient per member; when that
outgrows a machine, Dask's scheduler spreads it over worker processes and
machines::

    from dask.distributed import Client
    import numbad, numbad.dask

    client = Client("tcp://scheduler:8786")     # or Client(LocalCluster(...))
    loss_grad = numbad.value_and_grad(member_loss)      # member_loss(theta, obs, x0)
    with numbad.dask.Ensemble(loss_grad, [(obs, x0) for ...]) as ensemble:
        value, gradient = ensemble.sum(theta)   # sum over members of loss_grad(theta, obs, x0)

The members are split into chunks and sent to the workers once, when the
``Ensemble`` is made; each call sends only the shared arguments and the
function (itself once per worker), and each chunk's task sums (or stacks) its
members' results on its worker, so a call costs one task per chunk, not one per
member. Workers rebuild and compile the derivative on their first call (see
numbad.pickling); they need the modules the function lives in, as for any Dask
task. numbad's compiled code holds the GIL: give workers one thread each
(``LocalCluster(threads_per_worker=1)``, ``dask worker --nthreads 1``).
"""
import functools

import numpy as np
from distributed import get_client, progress

# chunks per worker thread: enough to even out members of different cost, few
# enough that Dask's per-task overhead (about a millisecond) stays small
CHUNKS_PER_THREAD = 4


class Ensemble:
    """``fn`` mapped over ``members`` on Dask workers: ``ensemble.sum(*shared)`` is the
    sum over the members ``m`` of ``fn(*shared, *m)``, ``ensemble.stack(*shared)`` the
    results one per member stacked on a new first axis.

    ``members``: a sequence; each member a tuple of arguments (anything else is one
    argument). ``fn`` returns a float, an array or (nested) tuples of them, as numbad's
    ``grad`` and ``value_and_grad`` do; sums and stacks go entry by entry.
    ``client``: a ``distributed.Client`` (default: the current one). ``chunks``: how
    many tasks a call runs (default: 4 per worker thread). ``progress``: show Dask's
    progress bar during each call."""

    def __init__(self, fn, members, *, client=None, chunks=None, progress=False):
        self.client = client if client is not None else _current_client()
        members = [m if isinstance(m, tuple) else (m,) for m in members]
        if not members:
            raise ValueError("an Ensemble needs at least one member")
        if chunks is None:
            chunks = CHUNKS_PER_THREAD * max(1, sum(self.client.nthreads().values()))
        if not isinstance(chunks, int) or chunks < 1:
            raise ValueError("chunks (tasks per call) must be a positive int")
        bounds = np.linspace(0, len(members), min(chunks, len(members)) + 1).astype(int)
        pieces = [members[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
        self.sizes = [len(piece) for piece in pieces]
        self.progress = progress
        self._fn = self.client.scatter(fn, broadcast=True, hash=False)
        self._chunks = self.client.scatter(pieces, hash=False)

    def __len__(self):
        return sum(self.sizes)

    def sum(self, *shared):
        """The sum over the members of ``fn(*shared, *member)``."""
        return functools.reduce(_add, self._run(_chunk_sum, shared))

    def stack(self, *shared):
        """``fn(*shared, *member)`` for each member, in order, stacked on a new first
        axis (a tuple of such stacks for tuple results)."""
        return _concatenate(self._run(_chunk_stack, shared))

    def _run(self, task, shared):
        futures = [self.client.submit(task, self._fn, shared, chunk, pure=False)
                   for chunk in self._chunks]
        if self.progress:       # a text bar, or a widget in a notebook
            progress(futures, scheduler=self.client.scheduler.address)
        return self.client.gather(futures)

    def close(self):
        """Let the workers drop the members and the function."""
        self.client.cancel(self._chunks + [self._fn])

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def ensemble_sum(fn, members, shared=(), **options):
    """``sum(fn(*shared, *m) for m in members)`` on Dask workers, once (an ``Ensemble``
    keeps the members on the workers for repeated calls; ``options`` as there)."""
    with Ensemble(fn, members, **options) as ensemble:
        return ensemble.sum(*shared)


def ensemble_stack(fn, members, shared=(), **options):
    """``fn(*shared, *m)`` for each of ``members``, stacked, on Dask workers, once."""
    with Ensemble(fn, members, **options) as ensemble:
        return ensemble.stack(*shared)


def _current_client():
    try:
        return get_client()
    except ValueError:
        raise ValueError("numbad.dask needs a Dask client: start one with "
                         "distributed.Client(LocalCluster(...)) or "
                         "distributed.Client('tcp://scheduler:8786'), or pass client=") from None


def _chunk_sum(fn, shared, chunk):
    """On a worker: the sum of one chunk's results."""
    return functools.reduce(_add, (fn(*shared, *member) for member in chunk))


def _chunk_stack(fn, shared, chunk):
    """On a worker: one chunk's results stacked."""
    return _stack([fn(*shared, *member) for member in chunk])


def _add(a, b):
    if isinstance(a, tuple):
        return tuple(_add(x, y) for x, y in zip(a, b))
    return a + b


def _stack(results):
    if isinstance(results[0], tuple):
        return tuple(_stack([r[k] for r in results]) for k in range(len(results[0])))
    return np.stack([np.asarray(r) for r in results])


def _concatenate(parts):
    if isinstance(parts[0], tuple):
        return tuple(_concatenate([p[k] for p in parts]) for k in range(len(parts[0])))
    return np.concatenate(parts)


__all__ = ["Ensemble", "ensemble_sum", "ensemble_stack"]

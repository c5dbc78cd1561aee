"""numbad.dask: ensemble gradients on a LocalCluster of worker processes equal the
single-process ones."""
import numba
import numpy as np
import pytest
from gradcheck import fd_array

import numbad

distributed = pytest.importorskip("distributed")
import numbad.dask  # noqa: E402  (needs distributed)


@pytest.fixture(scope="module")
def client():
    # processes, not threads: each worker unpickles and compiles the derivative itself
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        yield client


@numba.njit
def decay_step(u, rate, dt):
    return u - dt * rate * u * u


def member_misfit(params, observed, u0):
    """A member of the ensemble: a loop of @njit steps from its own start, compared
    with its own observations."""
    u, loss = u0, 0.0
    for k in range(observed.size):
        for _ in range(5):
            u = decay_step(u, params[0], 0.01) + 0.01 * params[1] * np.sin(u)
        loss += (u - observed[k]) ** 2
    return loss


def _members(n, seed=0):
    rng = np.random.default_rng(seed)
    return [(rng.normal(1.0, 0.3, size=8), float(rng.uniform(0.5, 2.0))) for _ in range(n)]


def test_ensemble_sum_equals_the_single_process_sum(client):
    params, members = np.array([0.7, 0.3]), _members(37)
    vg = numbad.value_and_grad(member_misfit)
    with numbad.dask.Ensemble(vg, members, client=client, chunks=5) as ensemble:
        assert len(ensemble) == 37 and ensemble.sizes == [7, 7, 8, 7, 8]
        value, gradient = ensemble.sum(params)
        again = ensemble.sum(params * 1.1)      # the members stay on the workers
    local = [vg(params, *m) for m in members]
    np.testing.assert_allclose(value, sum(v for v, _ in local), rtol=1e-13)
    np.testing.assert_allclose(gradient, sum(g for _, g in local), rtol=1e-13)
    total = lambda p: sum(member_misfit(p, *m) for m in members)    # noqa: E731
    np.testing.assert_allclose(gradient, fd_array(total, (params,), 0), rtol=1e-6)
    np.testing.assert_allclose(again[1], sum(vg(params * 1.1, *m)[1] for m in members),
                               rtol=1e-13)


def test_ensemble_stack_keeps_member_order(client):
    members = _members(11, seed=1)
    g = numbad.grad(member_misfit, argnums=(0, 2))
    d_params, d_u0 = numbad.dask.ensemble_stack(g, members, (np.array([0.7, 0.3]),),
                                                client=client)
    assert d_params.shape == (11, 2) and d_u0.shape == (11,)
    for k, m in enumerate(members):
        want = g(np.array([0.7, 0.3]), *m)
        np.testing.assert_allclose(d_params[k], want[0], rtol=1e-13)
        np.testing.assert_allclose(d_u0[k], want[1], rtol=1e-13)


def test_a_closure_and_a_grad_jit_object_travel_by_value(client):
    weight = 2.5

    @numbad.grad_jit
    def weighted(x, y):
        return weight * np.sum((x - y) ** 2)

    members = [np.full(3, float(k)) for k in range(6)]
    x = np.array([0.5, 1.0, 1.5])
    got = numbad.dask.ensemble_sum(weighted, members, (x,), client=client, progress=True)
    np.testing.assert_allclose(got, sum(weighted(x, y) for y in members), rtol=1e-13)


def test_not_differentiable_error_reaches_the_caller(client):
    def bad(x, n):
        items = [x]
        items.append(x * n)     # (a list appended to and read as a list)
        return items[1]

    with pytest.raises(numbad.NotDifferentiableError, match="list"):
        numbad.dask.ensemble_sum(numbad.grad(bad), [(2,), (3,)], (1.5,), client=client)


def test_chunks_must_be_positive(client):
    with pytest.raises(ValueError, match="chunks"):
        numbad.dask.Ensemble(numbad.grad(member_misfit), _members(2), client=client, chunks=0)


def test_without_a_client_the_error_says_how_to_start_one(monkeypatch):
    def no_client():
        raise ValueError("No global client found")
    monkeypatch.setattr(numbad.dask, "get_client", no_client)
    with pytest.raises(ValueError, match="LocalCluster"):
        numbad.dask.Ensemble(numbad.grad(member_misfit), _members(2))

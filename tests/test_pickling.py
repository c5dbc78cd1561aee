"""Derivative objects pickle (pickle and cloudpickle) and give the same numbers in
another process, where they are rebuilt and compiled again."""
import pathlib
import pickle
import subprocess
import sys

import cloudpickle
import numba
import numpy as np
from gradcheck import fd_array

import numbad

HERE = pathlib.Path(__file__).resolve().parent


@numba.njit
def spring(x, k):
    return 0.5 * k * x * x


def chain(x, k, n):
    """A loop calling an @njit function: the gradient code calls spring's VJP."""
    e = 0.0
    for i in range(n):
        e += spring(x[i % x.size] - 0.1 * i, k) + np.sin(x[0] * k)
    return e


@numbad.custom_vjp
def softplus(x):
    return np.log1p(np.exp(x))


def _softplus_fwd(x):
    return softplus(x), x


def _softplus_bwd(x, out_bar):
    return (out_bar / (1.0 + np.exp(-x)),)


softplus.defvjp(_softplus_fwd, _softplus_bwd)


def uses_custom(x):
    return softplus(x[0]) * x[1]


@numbad.grad_jit(argnums=(0, 1), checkpoint="binomial", memory_budget=4096)
def checkpointed(x, k, n):
    e = 0.0
    for i in range(n):
        e += spring(x[i % x.size] - 0.1 * i, k) + np.sin(x[0] * k)
    return e


def small(x):
    return x[0] * x[1] * x[2] + x[0] ** 3


def _cases():
    x = np.array([0.3, -0.7, 1.1])
    return [
        ("grad", numbad.grad(chain), (x, 2.0, 7)),
        ("value_and_grad", numbad.value_and_grad(chain, argnums=(0, 1)), (x, 2.0, 7)),
        ("grad_jit", checkpointed, (x, 2.0, 40)),
        ("vjp", numbad.vjp(chain, x, 2.0, 7)[1], (1.5,)),
        ("hvp", numbad.hvp(small), (x, np.array([1.0, 0.5, -2.0]))),
        ("hessian", numbad.hessian(small), (x,)),
        ("jacobian", numbad.jacobian(small), (x,)),
        ("grad of grad", numbad.grad(numbad.grad(spring)), (0.5, 2.0)),
        ("custom rule", numbad.grad(uses_custom), (x,)),
    ]


def _child_results(*payloads):
    """Unpickle lists of (name, derivative, args) in a fresh interpreter, call each
    derivative, and return {name: result} (pickled back)."""
    code = ("import pickle, sys; sys.path.insert(0, %r); payloads = pickle.loads("
            "sys.stdin.buffer.read()); sys.stdout.buffer.write(pickle.dumps("
            "{name: fn(*args) for p in payloads for name, fn, args in pickle.loads(p)}))"
            % str(HERE))
    done = subprocess.run([sys.executable, "-c", code], input=pickle.dumps(payloads),
                          capture_output=True, timeout=600)
    assert done.returncode == 0, done.stderr.decode()[-3000:]
    return pickle.loads(done.stdout)


def _assert_same(got, want):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w)
    elif want is None:
        assert got is None
    else:
        assert type(got) is type(want) and np.shape(got) == np.shape(want)
        np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


def test_derivative_objects_give_the_same_numbers_in_another_process():
    """Module functions go by reference (pickle), a closure by value (cloudpickle)."""
    scale = 3.0

    def local(x):
        return scale * np.sum(np.tanh(x) ** 2)

    x = np.linspace(-1.0, 1.0, 4)
    closure = [("closure", numbad.grad(local), (x,))]
    np.testing.assert_allclose(closure[0][1](x), fd_array(local, (x,), 0), rtol=1e-6)
    cases = _cases()
    there = _child_results(pickle.dumps(cases), cloudpickle.dumps(closure))
    for name, fn, args in cases + closure:
        _assert_same(there[name], fn(*args))


def test_copies_received_by_one_process_are_one_object():
    g = numbad.value_and_grad(chain)
    payload = pickle.dumps(g)
    first, second = pickle.loads(payload), pickle.loads(payload)
    assert first is second and first is not g
    x = np.array([0.3, -0.7, 1.1])
    first(x, 2.0, 7)
    assert pickle.loads(payload).call_plan((x, 2.0, 7)) is first.call_plan((x, 2.0, 7))


def test_grad_jit_of_a_module_function_pickles_by_reference():
    payload = pickle.dumps(checkpointed)
    assert len(payload) < 100 and b"checkpointed" in payload
    assert pickle.loads(payload) is checkpointed


def test_pickled_options_are_the_ones_given():
    g = pickle.loads(cloudpickle.dumps(numbad.grad(chain, argnums=(0, 1),
                                                   checkpoint="online", memory_budget=2048)))
    assert (g.argnums, g.checkpoint, g.memory_budget) == ((0, 1), "online", 2048)
    x = np.array([0.3, -0.7, 1.1])
    recorded = numbad.grad(chain, argnums=(0, 1), checkpoint="none")(x, 2.0, 300)
    for got, want in zip(g(x, 2.0, 300), recorded):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert g.stats["tape_bytes"] <= 2048 and g.stats["recomputed_iterations"] > 0

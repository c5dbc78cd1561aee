"""The persistent derivative cache (numbad/cache.py), each check in fresh processes:
a warm process compiles nothing, an edited callee in another module invalidates,
damaged entries are made again, racing processes both get the right result, and
the controls (NUMBAD_CACHE=0, info, clear, an unwritable folder) do what they say."""
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CALLEE = '''
import math
import numba

K = {k}


@numba.njit
def rhs(x, k):
    return -k * math.sin(x) * K
'''

MAIN = '''
import json, sys
import numba, numpy as np
import numbad
from numbad import derivatives
from numba.core import event

import callee

builds = []
_build = derivatives._build
derivatives._build = lambda *a, **k: builds.append(a[1].__name__) or _build(*a, **k)
compiled = []


class Count(event.Listener):
    def on_start(self, ev):
        compiled.append(ev.data["dispatcher"].py_func.__name__)

    def on_end(self, ev):
        pass


event.register("numba:compile", Count())


@numba.njit
def loss(x, k, n):
    for i in range(n):
        x = x + 0.01 * callee.rhs(x, k)
    return x * x


g = numbad.grad(loss, argnums=(0, 1))(0.3, 2.0, 50)
h = numbad.hessian(loss, argnums=0)(0.3, 2.0, 50) if "hessian" in sys.argv else 0.0
d = 1e-6
fd = (loss(0.3 + d, 2.0, 50) - loss(0.3 - d, 2.0, 50)) / (2 * d)
print(json.dumps({{"grad": list(g), "fd": fd, "hessian": float(h), "builds": builds,
                  "compiled": [c for c in compiled if c.startswith(("vjp", "jvp"))],
                  "info": numbad.cache.info()}}))
'''


@pytest.fixture
def project(tmp_path):
    """A folder with a callee module and a script, and a cache folder of its own."""
    (tmp_path / "callee.py").write_text(CALLEE.format(k=1.0))
    (tmp_path / "main.py").write_text(MAIN.format())
    cache = tmp_path / "cache"
    env = dict(os.environ, NUMBAD_CACHE_DIR=str(cache),
               PYTHONPATH=os.pathsep.join([str(tmp_path), ROOT]))
    env.pop("NUMBAD_CACHE", None)
    return tmp_path, cache, env


def run(project, *argv, env=None):
    folder, _, base = project
    out = subprocess.run([sys.executable, str(folder / "main.py"), *argv], cwd=folder,
                         env=env or base, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1]), out.stderr


def check_right(result):
    assert abs(result["grad"][0] - result["fd"]) < 1e-6 * max(1.0, abs(result["fd"]))


def test_a_warm_process_compiles_nothing(project):
    cold, _ = run(project, "hessian")
    check_right(cold)
    assert cold["builds"] and cold["compiled"] and cold["info"]["entries"] >= 2
    warm, _ = run(project, "hessian")
    assert warm["builds"] == [] and warm["compiled"] == []
    assert warm["grad"] == cold["grad"] and warm["hessian"] == cold["hessian"]


def test_editing_a_callee_in_another_module_invalidates(project):
    folder = project[0]
    before, _ = run(project)
    (folder / "callee.py").write_text(CALLEE.format(k=3.0))
    after, _ = run(project)
    check_right(after)
    assert after["builds"] and after["grad"] != before["grad"]


def damage(cache, how):
    for entry in cache.iterdir():
        for path in sorted(entry.rglob("*")):
            if path.is_file() and how(path):
                path.write_bytes(path.read_bytes()[: len(path.read_bytes()) // 2] + b"\x00junk")


@pytest.mark.parametrize("part", ["meta.pickle", ".py", ".nbi", ".nbc"])
def test_damaged_entries_are_made_again(project, part):
    cold, _ = run(project)
    damage(project[1], lambda p: p.name.endswith(part))
    again, _ = run(project)
    check_right(again)
    assert again["grad"] == cold["grad"]
    # a damaged entry is made again; damaged machine code is compiled again
    assert again["builds"] if part in ("meta.pickle", ".py") else again["compiled"]
    third, _ = run(project)       # (and the entry made again is used)
    assert third["builds"] == [] and third["grad"] == cold["grad"]


def test_foreign_files_in_the_folder_are_left_alone(project):
    cache = project[1]
    cache.mkdir()
    (cache / "notes.txt").write_text("not numbad's")
    (cache / ("f" * 64)).mkdir()
    (cache / ("f" * 64) / "meta.pickle").write_bytes(b"garbage")
    result, _ = run(project)
    check_right(result)
    assert (cache / "notes.txt").read_text() == "not numbad's"


def test_two_processes_racing_on_one_entry_both_succeed(project):
    folder, _, env = project
    procs = [subprocess.Popen([sys.executable, str(folder / "main.py")], cwd=folder,
                              env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    for r in results:
        check_right(r)
    assert results[0]["grad"] == results[1]["grad"]
    warm, _ = run(project)
    assert warm["builds"] == []


def test_cache_off_and_clear(project):
    folder, cache, env = project
    off, _ = run(project, env=dict(env, NUMBAD_CACHE="0"))
    check_right(off)
    assert off["info"]["entries"] == 0
    on, _ = run(project)
    assert on["info"]["entries"] >= 2
    code = "import numbad; numbad.cache.clear(); print(numbad.cache.info()['entries'])"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.stdout.strip() == "0", out.stderr


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0,
                    reason="root writes into read-only folders")
def test_an_unwritable_folder_compiles_in_memory_with_one_warning(project):
    cache = project[1]
    cache.mkdir()
    cache.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result, err = run(project)
    finally:
        cache.chmod(stat.S_IRWXU)
    check_right(result)
    assert err.count("cannot be written") == 1


def test_an_unusable_folder_compiles_in_memory_with_one_warning(project):
    folder, _, env = project
    blocker = folder / "a_file"
    blocker.write_text("")       # (a folder cannot be made under a file, even by root)
    result, err = run(project, env=dict(env, NUMBAD_CACHE_DIR=str(blocker / "cache")))
    check_right(result)
    assert err.count("cannot be written") == 1, textwrap.shorten(err, 2000)


def test_keys_follow_code_defaults_closures_globals_and_options():
    import functools

    import numba
    import numpy as np

    from numbad.code_key import derivative_key

    def make(body, **globals_):
        ns = dict(np=np, **globals_)
        exec(body, ns)
        return ns[body.split()[1].split("(")[0]]
    f64 = (numba.float64,)
    key = lambda f, mode="vjp", types=f64, wrt=(0,), variant=("auto", 1): \
        derivative_key(mode, f, types, wrt, variant)     # noqa: E731
    base = make("def f(x):\n    return np.sin(x) * A[0]\n", A=np.ones(2))
    assert key(base) == key(make("def f(x):\n    return np.sin(x) * A[0]\n", A=np.ones(2)))
    others = [make("def f(x):\n    return np.cos(x) * A[0]\n", A=np.ones(2)),
              make("def f(x):\n    return np.sin(x) * A[0]\n", A=np.full(2, 2.0)),
              make("def f(x, k=2.0):\n    return np.sin(x) * A[0] * k\n", A=np.ones(2))]
    callee = make("def g(x):\n    return x * 2.0\n")
    caller = make("def f(x):\n    return g(x)\n", g=numba.njit(callee))
    edited = make("def f(x):\n    return g(x)\n",
                  g=numba.njit(make("def g(x):\n    return x * 3.0\n")))
    keys = {key(base), key(base, mode="jvp"), key(base, types=(numba.float32,)),
            key(base, variant=("auto", 2)), key(caller), key(edited)} | set(map(key, others))
    assert len(keys) == 9 and None not in keys
    # a value with no stable spelling: not cached, rather than keyed wrongly
    assert key(make("def f(x):\n    return h(x)\n", h=functools.partial(np.sin))) is None


def test_numba_warnings_about_generated_code_are_not_shown():
    import warnings

    import numba
    import numpy as np

    import numbad

    @numba.njit
    def strided_dot(a):
        return np.dot(a[::2], a[1::2])

    a = np.arange(1.0, 9.0)
    with warnings.catch_warnings(record=True) as caught:
        g = numbad.grad(strided_dot)(a)
    np.testing.assert_allclose(g, np.array([2, 1, 4, 3, 6, 5, 8, 7.0]))
    assert not [w for w in caught if "numbad_generated_" in str(w.filename)]

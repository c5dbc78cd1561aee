"""The checks that tests/real_code runs on every corpus case (shared by the pytest
module and by report.py).

Reverse mode: numbad.grad against central finite differences at two step sizes.
Forward mode: numbad.jvp's value against the loss, its tangent against central
differences along the tangent (two step sizes) and, where numbad's gradient
passed its own check, against the gradient's inner product with the tangent.
JAX: jax.grad of the case's jax.numpy port (first checked against the loss and
finite differences) against numbad's gradient, to a tight tolerance.

Each check returns an Outcome: "ok", "refused" (NotDifferentiableError),
"crash" (any other exception) or "wrong" (a result that disagrees).
"""
import re
import traceback
from dataclasses import dataclass

import numpy as np

import numbad

# Finite differences: the step is REL * max(1, |x|) per element; the two steps
# bracket the usual trade-off (rounding error ~ eps/h, truncation error ~ h^2).
FD_STEPS = (1e-6, 1e-4)


@dataclass
class Outcome:
    kind: str            # "ok", "refused", "crash", "wrong"
    detail: str = ""

    @property
    def ok(self):
        return self.kind == "ok"

    def line(self):
        return self.kind if not self.detail else "%s: %s" % (self.kind, self.detail)


def fresh(args):
    """Copies of the arguments (a loss may update its array arguments in place)."""
    return tuple(a.copy() if isinstance(a, np.ndarray) else a for a in args)


def nums_of(argnums):
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def call(f, args):
    return float(f(*fresh(args)))


def fd_gradient(f, args, i, rel):
    """Central differences of f w.r.t. args[i] (a float or a float array)."""
    a = args[i]
    if isinstance(a, np.ndarray):
        g = np.zeros(a.shape)
        for idx in np.ndindex(a.shape):
            x = float(a[idx])
            h = rel * max(1.0, abs(x))
            up, down = a.copy(), a.copy()
            up[idx] = x + h
            down[idx] = x - h
            hh = float(up[idx]) - float(down[idx])    # the step actually taken (float32)
            aa_up, aa_down = list(args), list(args)
            aa_up[i], aa_down[i] = up, down
            g[idx] = (call(f, aa_up) - call(f, aa_down)) / hh
        return g
    x = float(a)
    h = rel * max(1.0, abs(x))
    T = type(a)
    up, down = list(args), list(args)
    up[i], down[i] = T(x + h), T(x - h)
    return (call(f, up) - call(f, down)) / (float(up[i]) - float(down[i]))


def fd_directional(f, args, nums, tangent, rel):
    """Central difference of f along the tangent (a dict argnum -> direction; the
    tangent is already scaled like the arguments, see tangent_for)."""
    h = rel
    up, down = list(args), list(args)
    for i in nums:
        a, t = args[i], tangent[i]
        if isinstance(a, np.ndarray):
            up[i] = (a + h * t).astype(a.dtype)
            down[i] = (a - h * t).astype(a.dtype)
        else:
            up[i] = type(a)(float(a) + h * t)
            down[i] = type(a)(float(a) - h * t)
    return (call(f, up) - call(f, down)) / (2 * h)


def _maxabs(x):
    return float(np.max(np.abs(np.asarray(x, dtype=float)))) if np.size(x) else 0.0


def _agrees(got, ref, rtol, floor):
    """max|got - ref| <= rtol * max(max|ref|, floor)."""
    err = _maxabs(np.asarray(got, dtype=float) - np.asarray(ref, dtype=float))
    return err <= rtol * max(_maxabs(ref), floor), err


def _exception_outcome(e):
    if isinstance(e, numbad.NotDifferentiableError):
        return Outcome("refused", str(e).strip().splitlines()[0] if str(e).strip() else "")
    msg = str(e).strip().splitlines()
    first = msg[0] if msg else ""
    # TypingErrors put the useful line after a header; keep the first informative one
    for m in msg:
        m = m.strip()
        if m and not m.startswith(("Failed in", "During:", "File ", "Traceback")):
            first = m
            break
    return Outcome("crash", "%s: %s" % (type(e).__name__, first[:300]))


def numbad_gradient(case):
    """numbad's gradient as a tuple (one entry per argnum), or an Outcome on failure."""
    args = case.args()
    try:
        g = numbad.grad(case.loss, case.argnums)(*fresh(args))
    except Exception as e:       # noqa: BLE001 -- every failure is an outcome here
        return _exception_outcome(e)
    return g if isinstance(case.argnums, tuple) else (g,)


def check_reverse(case, grads=None):
    """numbad.grad against central differences at two step sizes."""
    args = case.args()
    nums = nums_of(case.argnums)
    if grads is None:
        grads = numbad_gradient(case)
    if isinstance(grads, Outcome):
        return grads
    if len(grads) != len(nums):
        return Outcome("wrong", "grad returned %d results for argnums %r" % (len(grads), case.argnums))
    f0 = call(case.loss, args)
    worst = []
    for g, i in zip(grads, nums):
        a = args[i]
        if isinstance(a, np.ndarray):
            if not isinstance(g, np.ndarray) or g.shape != a.shape:
                return Outcome("wrong", "gradient w.r.t. arg %d has type/shape %s, expected %s"
                               % (i, getattr(g, "shape", type(g).__name__), a.shape))
        elif isinstance(g, np.ndarray) and g.ndim > 0:
            return Outcome("wrong", "gradient w.r.t. scalar arg %d is an array" % i)
        fds = [fd_gradient(case.loss, args, i, rel) for rel in case.fd_steps]
        floor = 1e-6 * (1.0 + abs(f0))
        fd_consistent, fd_gap = _agrees(fds[0], fds[1], case.fd_consistency, floor)
        results = [_agrees(g, fd, case.rtol, floor) for fd in fds]
        if not any(ok for ok, _ in results):
            best = min(range(len(fds)), key=lambda k: results[k][1])
            ref = fds[best]
            note = "" if fd_consistent else " (finite differences at the two steps disagree by %.2g)" % fd_gap
            return Outcome("wrong", "silent wrong gradient w.r.t. arg %d: max|numbad - FD| = %.3g, "
                           "max|FD| = %.3g (numbad %s, FD %s)%s"
                           % (i, results[best][1], _maxabs(ref), _short(g), _short(ref), note))
        if not fd_consistent:
            return Outcome("wrong", "finite differences disagree at the two steps for arg %d "
                           "(gap %.2g): the check is inconclusive at this point" % (i, fd_gap))
        worst.append(min(err for _, err in results))
    return Outcome("ok")


def _short(x):
    a = np.asarray(x, dtype=float).ravel()
    s = np.array2string(a[:4], precision=6, separator=",")
    return s if a.size <= 4 else s[:-1] + ",...]"


def tangent_for(case, args):
    """A random tangent (seeded by the case name) for the argnums; zeros elsewhere."""
    rng = np.random.default_rng(_seed(case.name))
    nums = nums_of(case.argnums)
    direction, tangents = {}, []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            if i in nums:
                # scaled like the argument, so that one step size suits every entry
                t = rng.standard_normal(a.shape) * np.maximum(1.0, np.abs(a.astype(float)))
                direction[i] = t
                tangents.append(t.astype(a.dtype))
            else:
                tangents.append(np.zeros_like(a))
        elif isinstance(a, (bool, np.bool_)):
            tangents.append(False)
        elif isinstance(a, (int, np.integer)):
            tangents.append(type(a)(0))
        elif isinstance(a, (float, np.floating)):
            if i in nums:
                t = float(rng.standard_normal()) * max(1.0, abs(float(a)))
                direction[i] = t
                tangents.append(type(a)(t))
            else:
                tangents.append(type(a)(0.0))
        else:
            tangents.append(0)
    return direction, tuple(tangents)


def _seed(name):
    s = 0
    for ch in name:
        s = (s * 131 + ord(ch)) % (2 ** 31)
    return s


def check_forward(case, grads=None):
    """numbad.jvp: its value, and its tangent against directional differences (and
    against <gradient, tangent> when numbad's gradient passed its check)."""
    args = case.args()
    nums = nums_of(case.argnums)
    direction, tangents = tangent_for(case, args)
    try:
        out, out_dot = numbad.jvp(case.loss, fresh(args), tangents)
    except Exception as e:       # noqa: BLE001
        return _exception_outcome(e)
    f0 = call(case.loss, args)
    if not np.isclose(float(out), f0, rtol=case.value_rtol, atol=1e-12):
        return Outcome("wrong", "jvp's value %r differs from the loss %r" % (float(out), f0))
    out_dot = float(out_dot)
    fds = [fd_directional(case.loss, args, nums, direction, rel) for rel in case.fd_steps]
    floor = 1e-6 * (1.0 + abs(f0))
    results = [_agrees(out_dot, fd, case.rtol, floor) for fd in fds]
    if not any(ok for ok, _ in results):
        return Outcome("wrong", "silent wrong tangent: jvp out_dot = %.10g, directional FD = %.10g / %.10g"
                       % (out_dot, fds[0], fds[1]))
    if grads is not None and not isinstance(grads, Outcome) and check_reverse(case, grads).ok:
        inner = sum(float(np.sum(np.asarray(g, dtype=float) * direction[i])) for g, i in zip(grads, nums))
        mag = sum(float(np.sum(np.abs(np.asarray(g, dtype=float) * direction[i]))) for g, i in zip(grads, nums))
        single = any(getattr(args[i], "dtype", None) == np.float32 or isinstance(args[i], np.float32)
                     for i in nums)
        if abs(out_dot - inner) > (1e-5 if single else 1e-8) * max(mag, floor):
            return Outcome("wrong", "jvp out_dot = %.12g but <grad, tangent> = %.12g" % (out_dot, inner))
    return Outcome("ok")


def check_jax(case, grads=None):
    """The JAX port against the loss and finite differences, then numbad against JAX."""
    import jax
    args = case.args()
    nums = nums_of(case.argnums)
    f0 = call(case.loss, args)
    jargs = fresh(args)
    jval = float(case.jax_loss(*jargs))
    if not np.isclose(jval, f0, rtol=1e-9, atol=1e-12):
        return Outcome("wrong", "the corpus' JAX port is wrong: value %r vs loss %r" % (jval, f0))
    jg = jax.grad(case.jax_loss, argnums=nums)(*jargs)
    jg = [np.asarray(x, dtype=float) for x in jg]
    floor = 1e-6 * (1.0 + abs(f0))
    for g, i in zip(jg, nums):
        fds = [fd_gradient(case.loss, args, i, rel) for rel in case.fd_steps]
        if not any(_agrees(g, fd, max(case.rtol, 1e-5), floor)[0] for fd in fds):
            return Outcome("wrong", "the corpus' JAX port disagrees with finite differences (arg %d)" % i)
    if grads is None:
        grads = numbad_gradient(case)
    if isinstance(grads, Outcome):
        return grads
    for g, ref, i in zip(grads, jg, nums):
        ok, err = _agrees(g, ref, case.jax_rtol, 1e-12 * (1.0 + abs(f0)))
        if not ok:
            return Outcome("wrong", "silent wrong gradient w.r.t. arg %d against jax.grad: max|diff| = %.3g, "
                           "max|jax| = %.3g (numbad %s, jax %s)" % (i, err, _maxabs(ref), _short(g), _short(ref)))
    return Outcome("ok")


def check_refused(case):
    """An expected refusal: NotDifferentiableError naming a file and a line."""
    args = case.args()
    try:
        numbad.grad(case.loss, case.argnums)(*fresh(args))
    except numbad.NotDifferentiableError as e:
        msg = str(e)
        if names_file_and_line(msg):
            return Outcome("ok", msg.strip().splitlines()[0])
        return Outcome("wrong", "refused without naming file and line: %s" % msg.strip().splitlines()[0])
    except Exception as e:       # noqa: BLE001
        return _exception_outcome(e)
    return Outcome("wrong", "differentiated code it cannot see (expected NotDifferentiableError)")


def names_file_and_line(msg):
    """Does a refusal name the user's file and line? numbad writes "path.py:LINE";
    "path.py, line LINE" is accepted too."""
    return re.search(r"\.py(:\d+|\S*,? line \d+)", msg) is not None


def describe(e):
    return "".join(traceback.format_exception_only(type(e), e)).strip()


# ---------------------------------------------------------------------------
# Running a check, in a child process for cases that crashed the interpreter

def run_here(case, check, grads=None):
    if check == "refused":
        return check_refused(case)
    if check == "reverse":
        return check_reverse(case, grads)
    if check == "forward":
        if grads is None and not case.isolate:
            grads = numbad_gradient(case)
        return check_forward(case, grads)
    if check == "jax":
        return check_jax(case, grads)
    raise ValueError(check)


def run_check(case, check):
    """The Outcome of one check ("reverse", "forward", "jax", "refused"). A case marked
    `isolate` (numbad crashed the interpreter on it) runs in a child process, and
    its forward check then skips the comparison with numbad's gradient."""
    if not case.isolate:
        return run_here(case, check)
    import json
    import os
    import signal
    import subprocess
    import sys
    import tempfile
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    here_numbad = os.path.dirname(os.path.dirname(os.path.abspath(numbad.__file__)))
    env = dict(os.environ)    # the child imports the same numbad as this process
    env["PYTHONPATH"] = os.pathsep.join([here_numbad, root, env.get("PYTHONPATH", "")])
    code = ("import json; from tests.real_code.checks import _child; "
            "print('OUTCOME ' + json.dumps(_child(%r, %r)))" % (case.name, check))
    p = subprocess.run([sys.executable, "-c", code], cwd=tempfile.gettempdir(), env=env,
                       capture_output=True, text=True, timeout=900)
    for line in reversed(p.stdout.splitlines()):
        if line.startswith("OUTCOME "):
            kind, detail = json.loads(line[len("OUTCOME "):])
            return Outcome(kind, detail)
    err = [l for l in p.stderr.splitlines() if l.strip() and "Warning" not in l]
    how = ("killed by %s" % signal.Signals(-p.returncode).name if p.returncode < 0
           else "exit status %d" % p.returncode)
    first = next((l for l in err if "corruption" in l or "Fatal" in l or "Error" in l),
                 err[0] if err else "")
    return Outcome("crash", "the Python process died (%s): %s" % (how, first.strip()[:200]))


def _child(name, check):
    try:
        import jax
        jax.config.update("jax_enable_x64", True)
    except ImportError:
        pass
    from .corpus import BY_NAME
    o = run_here(BY_NAME[name], check)
    return [o.kind, o.detail]

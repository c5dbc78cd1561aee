"""Hypothesis writes random scalar programs; numbad's gradient must match finite differences.

Programs mix straight-line arithmetic, smooth math functions, counted `for`
loops with run-time trip counts, `while` loops with data-dependent exits,
`break`, `continue` and `return` inside loops,
nested if/else on float comparisons and on loop indices (``i0 != i1``, ``i1 % 2 == 0
and i0 < n // 2``), inner ``for`` loops starting at an outer index, and calls to a
generated @njit helper.
Every assignment goes through a bounded function (sin, tanh, atan, cos) so
values stay finite; where a branch or a trip count flips inside the
finite-difference stencil, the two step sizes disagree and the example is
discarded rather than judged.
"""
import importlib.util
import itertools
import math
import os
import tempfile

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import numbad

VARS = ["a", "b", "c"]
BOUNDED = ["math.sin", "math.tanh", "math.atan", "math.cos"]
_counter = itertools.count()


@st.composite
def expressions(draw, depth=0):
    terms = VARS + ["x", "y"]
    if depth > 1 or draw(st.booleans()):
        choice = draw(st.sampled_from(terms + ["const"]))
        if choice == "const":
            return repr(draw(st.sampled_from([0.5, 1.5, -0.7, 2.0])))
        return choice
    op = draw(st.sampled_from(["+", "-", "*", "call", "helper"]))
    left = draw(expressions(depth + 1))
    right = draw(expressions(depth + 1))
    if op == "call":
        return "%s(0.3 * %s)" % (draw(st.sampled_from(BOUNDED + ["math.exp"])), left)
    if op == "helper":
        return "helper(%s, %s)" % (left, right)
    return "(%s %s %s)" % (left, op, right)


@st.composite
def index_conditions(draw, indices):
    """A test on the indices of the ``for`` loops around (the reverse sweep computes
    such directions again instead of taping them), short-circuited or not."""
    def one():
        i = draw(st.sampled_from(indices))
        other = draw(st.sampled_from(list(indices) + ["1", "n // 2"]))
        return draw(st.sampled_from(["%s %% 2 == 0" % i, "%s != %s" % (i, other),
                                     "%s < %s" % (i, other), "(%s + %s) %% 3 == 1" % (i, other)]))
    first = one()
    joint = draw(st.sampled_from([None, "and", "or"]))
    return first if joint is None else "%s %s %s" % (first, joint, one())


@st.composite
def statements(draw, depth=0, indent="    ", loop=None, indices=()):
    """Lines of one statement; ``loop``: the kind of the innermost loop around it (a
    ``break``, ``return`` or, in a ``for`` loop, ``continue`` may leave it);
    ``indices``: the indices of the ``for`` loops around it."""
    kinds = ["assign", "assign", "for", "while", "if"] if depth < 2 else ["assign"]
    if loop is not None:
        kinds += ["break", "return"] + (["continue"] if loop == "for" else [])
    kind = draw(st.sampled_from(kinds))
    if kind == "assign":
        target = draw(st.sampled_from(VARS))
        return ["%s%s = %s(%s)" % (indent, target, draw(st.sampled_from(BOUNDED)),
                                   draw(expressions()))]
    if kind in ("break", "return", "continue"):
        leave = {"break": "break", "continue": "continue",
                 "return": "return %s" % draw(expressions())}[kind]
        return ["%sif %s > %s:" % (indent, draw(st.sampled_from(VARS)),
                                   repr(draw(st.sampled_from([0.3, 0.8])))),
                "%s    %s" % (indent, leave)]
    inner = kind if kind in ("for", "while") else loop
    inside = indices + ("i%d" % depth,) if kind == "for" else indices
    body = draw(st.lists(statements(depth + 1, indent + "    ", inner, inside), min_size=1,
                         max_size=3))
    body = [line for stmt in body for line in stmt]
    if kind == "for":
        start = draw(st.sampled_from(("",) + tuple("%s, " % i for i in indices)))
        return ["%sfor i%d in range(%sn):" % (indent, depth, start)] + body + \
               ["%s    a = a * 0.9 + 0.01 * i%d" % (indent, depth)]
    if kind == "while":
        k = "k%d" % depth
        return ["%s%s = 0" % (indent, k),
                "%swhile %s < %s and %s < n + 2:" % (indent, draw(st.sampled_from(VARS)),
                                                     repr(draw(st.sampled_from([0.5, 0.9]))), k)
                ] + body + ["%s    %s += 1" % (indent, k)]
    other = draw(st.lists(statements(depth + 1, indent + "    ", loop, indices), min_size=1,
                          max_size=2))
    condition = "%s > %s" % (draw(st.sampled_from(VARS + ["x"])),
                             draw(st.sampled_from(VARS + ["y"])))
    if indices and draw(st.booleans()):
        condition = draw(index_conditions(indices))
    return ["%sif %s:" % (indent, condition)] + body + \
           ["%selse:" % indent] + [line for stmt in other for line in stmt]


@st.composite
def programs(draw):
    body = draw(st.lists(statements(), min_size=1, max_size=5))
    ret = draw(expressions())
    lines = ["def f(x, y, n):", "    a = x", "    b = y", "    c = 0.5"]
    lines += [line for stmt in body for line in stmt]
    lines.append("    return %s + a * b - c" % ret)
    return "\n".join(lines) + "\n"


HELPER = """
@numba.njit
def helper(u, v):
    return math.sin(u * v) + 0.5 * math.tanh(u - v)
"""


def load(source):
    """Import a generated program from a real file (Numba wants its source)."""
    path = os.path.join(tempfile.mkdtemp(prefix="numbad_prog_"), "prog%d.py" % next(_counter))
    with open(path, "w") as fh:
        fh.write("import math\nimport numba\n" + HELPER + "\n" + source)
    spec = importlib.util.spec_from_file_location(os.path.basename(path)[:-3], path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.f


def stable_central_difference(f, args, i):
    """Central difference, or None when the function is not smooth around args[i].

    A branch or trip count that flips at args[i] shows as one-sided slopes
    that disagree, or as estimates that change with the step.
    """
    def at(dx):
        moved = list(args)
        moved[i] += dx
        return f(*moved)
    estimates = []
    f0 = at(0.0)
    for h in (1e-5, 1e-6):
        left, right = (f0 - at(-h)) / h, (at(h) - f0) / h
        if not math.isclose(left, right, rel_tol=1e-3, abs_tol=1e-4):
            return None
        estimates.append((right + left) / 2)
    if not math.isclose(estimates[0], estimates[1], rel_tol=1e-4, abs_tol=1e-6):
        return None
    return estimates[1]


def _gradient_matches_differences(source, x, y, n):
    f = load(source)
    args = (x, y, n)
    value = f(*args)
    assume(math.isfinite(value))
    expected = [stable_central_difference(f, args, i) for i in (0, 1)]
    assume(None not in expected)
    got = numbad.grad(f, argnums=(0, 1))(*args)
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-5, err_msg=source)


@settings(max_examples=8)
@given(programs(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.integers(0, 4))
def test_random_program_gradients_match_finite_differences(source, x, y, n):
    _gradient_matches_differences(source, x, y, n)


@pytest.mark.slow
@settings(max_examples=80)
@given(programs(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.integers(0, 4))
def test_random_program_gradients_match_finite_differences_explored(source, x, y, n):
    _gradient_matches_differences(source, x, y, n)


@st.composite
def index_branch_programs(draw):
    """A loop nest whose branches test its indices only (every direction computed again
    in the reverse sweep), with and without ``else``, short-circuited or not."""
    lines = ["def f(x, y, n):", "    a = x", "    b = y", "    c = 0.5",
             "    for i0 in range(n):",
             "        for i1 in range(%sn):" % draw(st.sampled_from(["", "i0, ", "i0 + 1, "]))]
    for _ in range(draw(st.integers(1, 3))):
        assign = "                %s = %s(%s)"
        lines.append("            if %s:" % draw(index_conditions(("i0", "i1"))))
        lines.append(assign % (draw(st.sampled_from(VARS)), draw(st.sampled_from(BOUNDED)),
                               draw(expressions())))
        if draw(st.booleans()):
            lines.append("            else:")
            lines.append(assign % (draw(st.sampled_from(VARS)),
                                   draw(st.sampled_from(BOUNDED)), draw(expressions())))
    lines.append("        a = a * 0.9 + 0.01 * i0")
    lines.append("    return %s + a * b - c" % draw(expressions()))
    return "\n".join(lines) + "\n"


@settings(max_examples=15)
@given(index_branch_programs(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.integers(0, 5))
def test_random_index_branches_match_finite_differences(source, x, y, n):
    _, g, _ = _gradient_matches_differences(source, x, y, n)
    if " and " not in source and " or " not in source:     # (joins of short circuits
        assert "_k = _load_i" not in g.source(x, y, n), source  # are still taped)


def _hvp_matches_gradient_differences(source, x, y, n):
    """numbad.hvp (forward over reverse) along x against central differences of
    numbad's own gradient."""
    f = load(source)
    args = (x, y, n)
    assume(math.isfinite(f(*args)))
    grad = numbad.grad(f, argnums=(0, 1))
    expected = [stable_central_difference(lambda *a, k=k: grad(*a)[k], args, 0)
                for k in (0, 1)]
    assume(None not in expected)
    got = numbad.hvp(f, argnums=(0, 1))(*args, (1.0, 0.0))
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-5, err_msg=source)


# slow only: compiling forward over reverse of a branchy random program takes ~1 min
@pytest.mark.slow
@settings(max_examples=40)
@given(programs(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.integers(0, 4))
def test_random_program_hessian_vector_products_explored(source, x, y, n):
    _hvp_matches_gradient_differences(source, x, y, n)


def _checkpointed_matches_recorded(source, x, y, n, scheme):
    f = load(source)
    assume(math.isfinite(f(x, y, n)))
    recorded = numbad.grad(f, argnums=(0, 1), checkpoint="none")(x, y, n)
    checkpointed = numbad.grad(f, argnums=(0, 1), checkpoint=scheme)(x, y, n)
    np.testing.assert_allclose(checkpointed, recorded, rtol=1e-12, atol=1e-14,
                               err_msg=source)


CHECKPOINTED = (programs(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.integers(0, 6),
                st.sampled_from(["binomial", "online"]))


@settings(max_examples=4)
@given(*CHECKPOINTED)
def test_random_programs_checkpointed_give_the_recorded_gradient(source, x, y, n, scheme):
    _checkpointed_matches_recorded(source, x, y, n, scheme)


@pytest.mark.slow
@settings(max_examples=40)
@given(*CHECKPOINTED)
def test_random_programs_checkpointed_give_the_recorded_gradient_explored(source, x, y, n,
                                                                           scheme):
    _checkpointed_matches_recorded(source, x, y, n, scheme)


@st.composite
def counter_statements(draw, depth, indent, indices):
    """Lines of one statement of a loop nest that steps the int counters ``p`` and ``q``
    (the reverse sweep steps them back where it can, tapes them where not)."""
    kinds = ["use", "use", "step", "step"] + (["for", "for", "while", "if"] if depth < 3 else [])
    if indices:
        kinds.append("break")
    kind = draw(st.sampled_from(kinds))
    counter = draw(st.sampled_from(["p", "q"]))
    if kind == "use":
        target = draw(st.sampled_from(VARS))
        return ["%s%s = %s(%s * 0.7 + 0.05 * (%s %% 5) * %s)" % (
            indent, target, draw(st.sampled_from(BOUNDED)), target, counter,
            draw(expressions()))]
    if kind == "step":
        step = draw(st.sampled_from(["%s + 1", "%s + 2", "%s - 1", "3 - %s", "0 * %s"]
                                    + ["%%s + %s" % i for i in indices]))
        return ["%s%s = %s" % (indent, counter, step % counter)]
    if kind == "break":
        return ["%sif %s > 0.8:" % (indent, draw(st.sampled_from(VARS))), indent + "    break"]
    inside = indices + ("i%d" % depth,) if kind == "for" else indices
    body = draw(st.lists(counter_statements(depth + 1, indent + "    ", inside), min_size=1,
                         max_size=3))
    body = [line for stmt in body for line in stmt]
    if kind == "for":
        start = draw(st.sampled_from(("",) + tuple("%s, " % i for i in indices)))
        return ["%sfor i%d in range(%sn):" % (indent, depth, start)] + body
    if kind == "while":
        k = "k%d" % depth
        return ["%s%s = 0" % (indent, k), "%swhile %s < 0.9 and %s < n + 2:" % (
            indent, draw(st.sampled_from(VARS)), k)] + body + ["%s    %s += 1" % (indent, k)]
    condition = draw(index_conditions(indices)) if indices and draw(st.booleans()) else \
        "%s > %s" % (draw(st.sampled_from(VARS)), draw(st.sampled_from(VARS + ["y"])))
    return ["%sif %s:" % (indent, condition)] + body


@st.composite
def counter_programs(draw):
    body = draw(st.lists(counter_statements(0, "    ", ()), min_size=1, max_size=3))
    lines = ["def f(x, y, n):", "    a = x", "    b = y", "    c = 0.5", "    p = 0",
             "    q = 1"] + [line for stmt in body for line in stmt]
    lines.append("    return a * b - c + 0.1 * p * a + 0.01 * q * b")
    return "\n".join(lines) + "\n"


COUNTERS = (counter_programs(), st.floats(-1.5, 1.5), st.floats(-1.5, 1.5), st.integers(0, 5))


@settings(max_examples=5)
@given(*COUNTERS)
def test_random_counter_programs_match_finite_differences(source, x, y, n):
    _counter_program_matches(source, x, y, n)


@pytest.mark.slow
@settings(max_examples=80)
@given(*COUNTERS)
def test_random_counter_programs_match_finite_differences_explored(source, x, y, n):
    _counter_program_matches(source, x, y, n)


def _gradient_matches_differences(source, x, y, n):
    """(the program, its numbad.grad w.r.t. x and y, the gradient at (x, y, n)), the
    gradient checked against central differences where those are stable."""
    f = load(source)
    args = (x, y, n)
    assume(math.isfinite(f(*args)))
    expected = [stable_central_difference(f, args, i) for i in (0, 1)]
    assume(None not in expected)
    g = numbad.grad(f, argnums=(0, 1))
    got = g(*args)
    np.testing.assert_allclose(got, expected, rtol=2e-4, atol=1e-5, err_msg=source)
    return f, g, got


def _counter_program_matches(source, x, y, n):
    f, _, got = _gradient_matches_differences(source, x, y, n)
    checkpointed = numbad.grad(f, argnums=(0, 1), checkpoint="binomial")  # (no top-level
    np.testing.assert_allclose(checkpointed(x, y, n), got, rtol=1e-9, atol=1e-12,  # chains)
                               err_msg=source)

"""Checkpointing: the Revolve schedule against the optimal counts of binomial
checkpointing and against an existing implementation (the checkpoint_schedules
package), and checkpointed gradients against recorded ones (they must agree to
rounding) within the memory budget."""
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numba import njit
from numba import typeof as numba_typeof
from numba.core import types
from test_reverse_control_flow import (
    f_break_continue,
    f_early_return,
    f_int_mixing,
    f_nested_while,
    f_range_bounds,
    f_swap,
    lorenz,
    oscillator,
)
from test_reverse_double_buffering import (
    allocate_each_step,
    scratch_per_step,
    swap_elements,
    swap_rows_of_one_array,
    swap_slices,
    swap_until_large,
    swaps_inside_an_outer_loop,
)
from test_structured_loops import bottom_tested_while, break_with_work, early_return

import numbad
from benchmarks.workloads.heat import heat, heat_slices
from numbad import schedules as S
from numbad.derivatives import vjp_of
from tests.gradcheck import fd_array


def replay(state, next_action, current, steps, slots=None):
    """Drive a schedule like generated code does, on a model of the loop (``current``:
    the step whose state the loop holds): check every action against the state it
    claims (``slots``: what the slots hold at the start); returns (untaped
    iterations, slots used)."""
    slots, reversed_, advances, used = dict(slots or {}), [], 0, set()
    while True:
        action = next_action(state)
        if action == S.ADVANCE:
            assert current == state[S.OLD] < state[S.CAPO]
            advances += state[S.CAPO] - current
            current = state[S.CAPO]
        elif action == S.TAKESHOT:
            assert current == state[S.CAPO]
            slots[state[S.CHECK]] = current
            used.add(state[S.CHECK])
        elif action == S.RESTORE:
            current = slots[state[S.CHECK]]
            assert current == state[S.CAPO]
        elif action in (S.FIRSTURN, S.YOUTURN):
            assert current == state[S.CAPO]
            reversed_.append(current)
            current = None          # reversing the iteration leaves no known state
        else:
            assert action == S.TERMINATE
            break
    assert reversed_ == list(range(steps - 1, -1, -1))
    return advances, used


def run_revolve(steps, snaps):
    advances, used = replay(S.revolve_start(steps, snaps), S.revolve_next, 0, steps)
    assert all(slot < snaps for slot in used)
    return advances, len(used)


@pytest.mark.parametrize("steps, snaps", [(1, 1), (2, 1), (2, 3), (10, 1), (10, 3),
                                          (100, 4), (1000, 7), (5000, 12)])
def test_revolve_recomputes_what_the_checkpoint_schedules_package_does(steps, snaps):
    cs = pytest.importorskip("checkpoint_schedules")
    advances, used = run_revolve(steps, snaps)
    assert used <= snaps
    assert advances == S.optimal_recomputations(steps, snaps)
    if snaps < steps:
        forward = sum(a.n1 - a.n0 for a in cs.MultistageCheckpointSchedule(steps, snaps, 0)
                      if isinstance(a, cs.Forward))
        assert advances == forward - steps


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 3000), st.integers(1, 25))
def test_revolve_is_valid_and_optimal_for_any_length(steps, snaps):
    advances, used = run_revolve(steps, snaps)
    assert used <= snaps
    assert advances == S.optimal_recomputations(steps, snaps)


def test_optimal_counts_match_griewank_and_walther_closed_forms():
    optimal_extra_steps = pytest.importorskip("checkpoint_schedules.multistage").optimal_extra_steps
    for steps in range(2, 120):
        assert S.optimal_recomputations(steps, 1) == steps * (steps - 1) // 2
        for snaps in range(1, min(steps, 8)):
            assert S.optimal_recomputations(steps, snaps) == optimal_extra_steps(steps, snaps)


def test_slots_without_a_budget_recompute_each_iteration_at_most_twice():
    for steps in (1, 2, 10, 1000, 123456):
        slots = S.checkpoint_slots(steps, 8, -1, 0)
        assert S.optimal_recomputations(steps, slots) <= 2 * steps


def test_a_budget_that_holds_no_snapshot_is_refused():
    with pytest.raises(MemoryError, match="memory budget"):
        S.checkpoint_slots(100, 1000, 1500, 600)


def run_online(steps, snaps):
    """The online schedule on a model loop of ``steps`` iterations (not told to the
    schedule until the loop has ended); returns (untaped iterations, slots used)."""
    state = S.online_start(snaps)
    taken = {}
    for k in range(steps + 1):      # asked before each loop test, the failing one too
        if S.online_take(state, k):
            taken[state[S.CHECK]] = k
    S.online_finish(state, steps)
    advances, used = replay(state, S.online_next, steps, steps, taken)
    assert advances == state[S.ADVANCES]
    return advances, len(used | set(taken))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 5000), st.integers(1, 40))
def test_online_schedule_reverses_any_length_within_its_slots(steps, snaps):
    advances, used = run_online(steps, snaps)
    assert used <= snaps
    if snaps >= 3 and steps > 1:
        # gaps are at most 4 steps / snaps long (spacing doubles at most past steps /
        # (snaps / 2)); each is reversed by Revolve with its snapshot alone at worst
        gap = 4 * steps // snaps + 1
        assert advances <= steps * gap


def test_online_schedule_costs_little_more_than_binomial_with_ample_slots():
    steps, snaps = 10_000, 64
    online, _ = run_online(steps, snaps)
    # the forward run (steps) is untaped too; binomial knows the length in advance
    assert online + steps <= 3 * (S.optimal_recomputations(steps, snaps) + steps)


def relax_until_flat(u0, k, tol):
    """A while loop over an array updated in place, left once it is flat enough."""
    u = u0.copy()
    sweeps = 0
    while np.max(np.abs(u[1:] - u[:-1])) > tol and sweeps < 500:
        u[1:-1] += k * (u[:-2] - 2.0 * u[1:-1] + u[2:])
        u[0] = u[0] * (1.0 - k)
        sweeps += 1
    return np.sum(u * u) + sweeps


def euler_arrays(u0, k, n):
    """NumPy style: each step makes a new array."""
    u = u0.copy()
    for _ in range(n):
        u = u + k * np.sin(u)
    return np.sum(u * u)


def relax_new_arrays_from_the_argument(u0, k, n):
    u = u0
    i = 0
    while i < n and np.sum(u) < 100.0:
        u = u * 0.9 + k * np.cos(u)
        i += 1
    return np.sum(u * u)


LORENZ = (1.0, 1.0, 1.05, 10.0, 28.0, 8 / 3, 1e-3)
rng = np.random.default_rng(7)
PROGRAMS = [
    (lorenz, LORENZ + (0,)), (lorenz, LORENZ + (1,)), (lorenz, LORENZ + (2,)),
    (lorenz, LORENZ + (300,)),
    (f_range_bounds, (0.7, 1, 10, 3)), (f_range_bounds, (0.7, 9, 0, -2)),
    (f_swap, (0.3, 0.4, 7)), (f_int_mixing, (1.3, 7)),
    (heat, (rng.normal(size=8), 0.2, 30)), (heat_slices, (rng.normal(size=8), 0.2, 30)),
    (swap_elements, (rng.normal(size=7), 0.2, 6)),
    (scratch_per_step, (rng.normal(size=5), 0.3, 4)),
    # while loops and loops left from inside: the online schedule
    (oscillator, (1.0, 0.3, 1.0, 1e-2, 1e-3)), (f_break_continue, (0.7, 10)),
    (f_early_return, (1.3, 20)), (f_early_return, (0.5, 20)), (f_nested_while, (0.7, 6)),
    (bottom_tested_while, (0.3, 9)), (break_with_work, (0.3, 9)), (early_return, (0.8, 9)),
    (relax_until_flat, (rng.normal(size=8), 0.2, 0.05)),
    # double buffering: the arrays' contents and which name holds which are snapshotted
    (swap_rows_of_one_array, (rng.normal(size=(2, 6)), 0.3, 5)),
    (swap_slices, (rng.normal(size=7), 0.2, 9)), (swap_until_large, (rng.normal(size=6), 1.3)),
    # a new array each step (its contents are the state)
    (euler_arrays, (rng.normal(size=5), 0.2, 9)),
    (relax_new_arrays_from_the_argument, (rng.normal(size=5), 0.3, 12)),
    # a new buffer filled each step (its contents are the state)
    (allocate_each_step, (rng.normal(size=7), 0.2, 6)),
    # shapes that are recorded in full whatever the scheme (for now): they must still agree
    (swaps_inside_an_outer_loop, (rng.normal(size=5), 0.3, 3, 4)),
]


def float_args(args):
    return tuple(i for i, a in enumerate(args) if isinstance(a, (float, np.ndarray)))


SCHEMES = {"binomial": dict(checkpoint="binomial"), "online": dict(checkpoint="online"),
           "budget": dict(memory_budget="half")}
CASES = [pytest.param(f, args, scheme, id="%s-%d-%s" % (f.__name__, i, scheme), marks=(
    # compiling array code takes seconds: its binomial and online variants run in the
    # slow set (the budget variant checkpoints with Revolve too: half the tape), and so
    # do the slowest budget variants
    [pytest.mark.slow] if (scheme != "budget" or f in (swap_slices, relax_until_flat))
    and any(isinstance(a, np.ndarray) for a in args) else []))
    for i, (f, args) in enumerate(PROGRAMS) for scheme in SCHEMES]


@pytest.mark.parametrize("f, args, scheme", CASES)
def test_every_scheme_gives_the_recorded_gradient(f, args, scheme):
    nums = float_args(args)
    recorded = numbad.grad(f, argnums=nums, checkpoint="none")
    expected = recorded(*args)
    options = dict(SCHEMES[scheme])
    if options.get("memory_budget") == "half":
        options["memory_budget"] = max(recorded.stats["tape_bytes"] // 2, 4096)
    g = numbad.grad(f, argnums=nums, **options)
    for got, want in zip(g(*args), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


CHECKPOINTED_SHAPES = [(oscillator, (1.0, 0.3, 1.0, 1e-2, 1e-3)), (f_nested_while, (0.7, 6)),
                       (bottom_tested_while, (0.3, 9)), (f_early_return, (0.5, 20)),
                       (break_with_work, (0.3, 9)), (f_break_continue, (0.7, 10)),
                       (relax_until_flat, (rng.normal(size=8), 0.2, 0.05)),
                       (swap_slices, (rng.normal(size=7), 0.2, 9)),
                       (swap_until_large, (rng.normal(size=6) * 0.1, 1.3)),
                       (euler_arrays, (rng.normal(size=5), 0.2, 9)),
                       (relax_new_arrays_from_the_argument, (rng.normal(size=5), 0.3, 12))]


@pytest.mark.parametrize("f, args", CHECKPOINTED_SHAPES, ids=lambda v: getattr(
    v, "__name__", ""))
def test_while_loops_left_from_inside_and_double_buffers_are_checkpointed(f, args):
    """Not taped in full: the online schedule's snapshots, and the recorded gradient."""
    nums = float_args(args)
    expected = numbad.grad(f, argnums=nums, checkpoint="none")(*args)
    g = numbad.grad(f, argnums=nums, checkpoint="online")
    for got, want in zip(g(*args), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)
    assert g.stats["snapshots"] > 0 and g.stats["recomputed_iterations"] > 0


def test_stats_of_a_checkpointed_run():
    n = 3000
    args = LORENZ + (n,)
    recorded = numbad.grad(lorenz, argnums=(0, 3, 4), checkpoint="none")
    recorded(*args)
    g = numbad.grad(lorenz, argnums=(0, 3, 4), checkpoint="binomial")
    g(*args)
    assert recorded.stats["snapshots"] == recorded.stats["recomputed_iterations"] == 0
    assert g.stats["snapshots"] > 0
    assert n - 2 <= g.stats["recomputed_iterations"] <= 2 * n   # the default: <= 2 per step
    assert g.stats["tape_bytes"] < recorded.stats["tape_bytes"] / 10


def test_auto_records_everything_when_it_fits_and_checkpoints_within_the_budget():
    args = LORENZ + (20_000,)
    recorded = numbad.grad(lorenz, argnums=(0, 3, 4), checkpoint="none")
    expected = recorded(*args)
    full = recorded.stats["tape_bytes"]
    roomy = numbad.grad(lorenz, argnums=(0, 3, 4), memory_budget=2 * full)
    np.testing.assert_allclose(roomy(*args), expected, rtol=1e-12)
    assert roomy.stats["recomputed_iterations"] == 0 and roomy.stats["tape_bytes"] == full
    for budget in (full // 4, full // 50, 4096):
        tight = numbad.grad(lorenz, argnums=(0, 3, 4), memory_budget=budget)
        np.testing.assert_allclose(tight(*args), expected, rtol=1e-12)
        assert tight.stats["recomputed_iterations"] > 0
        assert tight.stats["tape_bytes"] <= budget


def heat_that_fails_in_its_first_step(u0, alpha, steps):
    u = u0.copy()
    for i in range(steps):
        u[1:-1] += alpha * (u[:-2] - 2.0 * u[1:-1] + u[2:])
        if i == 0:
            raise ValueError("the loop ran")
    return np.sum(u * u)


@pytest.mark.parametrize("scheme", ["auto", pytest.param("online", marks=pytest.mark.slow)])
def test_a_budget_too_small_for_one_snapshot_is_an_error_before_the_loop_runs(scheme):
    g = numbad.grad(heat_slices, memory_budget=64, checkpoint=scheme)
    with pytest.raises(MemoryError, match="memory budget"):
        g(np.ones(50), 0.1, 100)
    g = numbad.grad(heat_that_fails_in_its_first_step, memory_budget=256, checkpoint=scheme)
    with pytest.raises(MemoryError, match="memory budget"):
        g(np.ones(50), 0.1, 100)
    with pytest.raises(ValueError, match="the loop ran"):     # (a budget that holds it)
        numbad.grad(heat_that_fails_in_its_first_step, memory_budget=2 ** 20,
                    checkpoint=scheme)(np.ones(50), 0.1, 100)


def test_options_are_checked():
    with pytest.raises(ValueError, match="checkpoint"):
        numbad.grad(lorenz, checkpoint="sometimes")
    with pytest.raises(ValueError, match="memory_budget"):
        numbad.grad(lorenz, memory_budget=-5)
    with pytest.raises(ValueError, match="memory_budget"):
        numbad.vjp(lorenz, *(LORENZ + (3,)), memory_budget="lots")


def test_vjp_and_grad_jit_take_the_options():
    args = LORENZ + (500,)
    _, f_vjp = numbad.vjp(lorenz, *args, checkpoint="binomial")
    bars = f_vjp(1.0)
    assert f_vjp.stats["snapshots"] > 0
    np.testing.assert_allclose(bars[0], numbad.grad(lorenz)(*args), rtol=1e-12)
    jitted = numbad.grad_jit(lorenz, argnums=0, checkpoint="binomial")
    np.testing.assert_allclose(jitted(*args), bars[0], rtol=1e-12)
    assert jitted.stats["snapshots"] > 0


@njit
def simulate(x, k, n):
    for _ in range(n):
        x = x + 0.001 * math.sin(k * x)
    return x


def through_a_call(x, k, n):
    return simulate(x, k, n) ** 2 + k


def test_loops_inside_called_functions_are_checkpointed_too():
    args = (0.3, 2.0, 5000)
    expected = numbad.grad(through_a_call, argnums=(0, 1), checkpoint="none")(*args)
    g = numbad.grad(through_a_call, argnums=(0, 1), memory_budget=4096)
    np.testing.assert_allclose(g(*args), expected, rtol=1e-12)
    # the callee's own VJP, as the caller's reverse sweep calls it, checkpoints its loop
    callee = vjp_of(simulate, (types.float64, types.float64, types.int64), (0, 1),
                    ("auto", 4096))
    _, bars, (tape_bytes, snapshots, recomputed) = callee.dispatcher(*args, 1.0)
    assert snapshots > 0 and recomputed > 0 and tape_bytes <= 4096
    np.testing.assert_allclose(bars, numbad.grad(simulate, argnums=(0, 1))(*args),
                               rtol=1e-12)


@pytest.fixture
def small_default_budget(monkeypatch):
    """The default memory budget (a fraction of physical memory) made 64 KiB."""
    from numbad import checkpointing
    monkeypatch.setattr(checkpointing, "default_budget", lambda: 64 * 1024)
    return 64 * 1024


def test_the_default_budget_reruns_checkpointed_a_call_whose_tape_outgrows_it(
        small_default_budget):
    args = LORENZ + (20_000,)
    recorded = numbad.grad(lorenz, argnums=(0, 3), checkpoint="none")
    expected = recorded(*args)
    assert recorded.stats["tape_bytes"] > small_default_budget
    g = numbad.grad(lorenz, argnums=(0, 3))         # checkpoint="auto", no budget given
    short = g(*(LORENZ + (100,)))                   # fits: taped in full
    assert g.stats["snapshots"] == 0
    np.testing.assert_allclose(short, recorded(*(LORENZ + (100,))), rtol=1e-12)
    for _ in range(2):      # outgrows it: rerun checkpointed (and from then on)
        np.testing.assert_allclose(g(*args), expected, rtol=1e-12)
        assert g.stats["snapshots"] > 0 and g.stats["tape_bytes"] <= small_default_budget
    _, f_vjp = numbad.vjp(lorenz, *args)
    bars = f_vjp(1.0)
    np.testing.assert_allclose((bars[0], bars[3]), expected, rtol=1e-12)
    assert f_vjp.stats["tape_bytes"] <= small_default_budget


def test_a_guarded_vjp_raises_once_its_tape_outgrows_the_budget():
    from numbad.checkpointing import TapeOverBudget
    types_ = tuple(numba_typeof(a) for a in LORENZ + (20_000,))
    guarded = vjp_of(lorenz, types_, (0,), ("guarded", 64 * 1024))
    assert "_TapeOverBudget" in guarded.source
    with pytest.raises(TapeOverBudget):
        guarded.dispatcher(*(LORENZ + (20_000,)), 1.0)
    _, bars, (tape_bytes, _, _) = guarded.dispatcher(*(LORENZ + (100,)), 1.0)
    assert 0 < tape_bytes <= 64 * 1024


def read_then_overwritten(u0, w):
    """The first loop reads u; later loops overwrite it (taped where read, not restored)."""
    u = u0.copy()
    s = 0.0
    for i in range(u.shape[0]):
        s += u[i] * u[i] * w[i]
    for k in range(3):
        for i in range(u.shape[0]):
            u[i] = w[i] * s * k
    t = 0.0
    for i in range(u.shape[0]):
        t += u[i]
    return s + t


def indices_read_then_shifted(x, idx0):
    """The first loop reads an int array that the next one changes."""
    idx = idx0.copy()
    s = 0.0
    for i in range(idx.shape[0]):
        s += x[idx[i]] * x[i]
    for i in range(idx.shape[0]):
        idx[i] = (idx[i] + 1) % x.shape[0]
    for i in range(idx.shape[0]):
        s += x[idx[i]] ** 2
    return s


@pytest.mark.parametrize("f, args", [
    (read_then_overwritten, (rng.normal(size=5), rng.normal(size=5))),
    (indices_read_then_shifted, (rng.normal(size=5), np.array([3, 1, 4, 0, 2])))])
def test_loops_reading_arrays_that_later_code_changes_are_not_run_again(f, args):
    """Iterations run again from snapshots would read the arrays as later code left them
    (the reverse sweep does not put those values back): such loops stay taped."""
    recorded = numbad.grad(f, checkpoint="none")
    expected = recorded(*args)
    np.testing.assert_allclose(expected, fd_array(f, args, 0), rtol=1e-6, atol=1e-9)
    # (a budget for the three loops' snapshot slots together: each counts the slots of
    # the loops before it)
    for options in (dict(checkpoint="binomial", memory_budget=1000),
                    dict(checkpoint="online", memory_budget=1000)):
        np.testing.assert_allclose(numbad.grad(f, **options)(*args), expected, rtol=1e-12,
                                   err_msg=str(options))


@njit
def swapped_in_an_inner_loop(u0, dt):
    """Which array ``a`` names after an outer step depends on the inner count's parity:
    not state the snapshots keep, so the outer loop is recorded in full."""
    u = u0.copy()
    v = np.zeros_like(u)
    s = 0.0
    for r in range(4):
        a, b = u, v
        for _ in range(r + 1):
            for i in range(u.shape[0]):
                b[i] = a[i] + dt * math.sin(a[i]) + 0.5 * b[i]
            a, b = b, a
        s += a[0]
    return s + np.sum(u ** 2) + np.sum(v ** 2)


@pytest.mark.parametrize("scheme", ["binomial", "online"])
def test_buffers_swapped_in_an_inner_loop(scheme):
    u = np.array([0.6, 0.7, 0.5, 0.4, 0.2, 0.8])
    recorded = numbad.grad(swapped_in_an_inner_loop, checkpoint="none")(u, 0.1)
    np.testing.assert_allclose(recorded, fd_array(swapped_in_an_inner_loop, (u, 0.1), 0),
                               rtol=1e-7)
    got = numbad.grad(swapped_in_an_inner_loop, checkpoint=scheme,
                      memory_budget=2000)(u, 0.1)
    np.testing.assert_allclose(got, recorded, rtol=1e-12)


def sines_from_the_argument(u, k, n):
    """A new array each step, from the argument itself: written as one fused element
    loop filling a new array, which snapshots cannot keep yet, so the checkpointed
    gradient differentiates the function as written."""
    for _ in range(n):
        u = u + k * np.sin(u)
    return np.sum(u * u)


@pytest.mark.parametrize("scheme", ["binomial", "online"])
def test_a_new_array_each_step_is_checkpointed_within_the_budget(scheme):
    args = (np.linspace(0.1, 0.6, 6), 0.01, 3000)
    recorded = numbad.grad(sines_from_the_argument, argnums=(0, 1), checkpoint="none")
    expected = recorded(*args)
    budget = recorded.stats["tape_bytes"] // 8
    g = numbad.grad(sines_from_the_argument, argnums=(0, 1), checkpoint=scheme,
                    memory_budget=budget)
    for got, want in zip(g(*args), expected):
        np.testing.assert_allclose(got, want, rtol=1e-12)
    assert g.stats["snapshots"] > 0 and g.stats["tape_bytes"] <= budget


@njit
def swapped_twice_per_step(u0, k, steps):
    u = u0.copy()
    w = np.empty_like(u)
    for _ in range(steps):
        for _ in range(2):
            for i in range(1, u.shape[0] - 1):
                w[i] = u[i] + k * (u[i - 1] - 2.0 * u[i] + u[i + 1])
            w[0] = u[0]
            w[-1] = u[-1]
            u, w = w, u
    return np.sum(u * u)


def test_a_loop_taped_in_full_over_the_budget_is_named():
    u = np.linspace(0.1, 0.6, 7)
    g = numbad.grad(swapped_twice_per_step, argnums=(0, 1), checkpoint="binomial",
                    memory_budget=2000)
    with pytest.raises(MemoryError, match=r"memory_budget=2000 bytes: the loop at line "
                                          r"\d+ taped in full"):
        g(u, 0.2, 200)

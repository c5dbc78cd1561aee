"""Checkpointing schedules: which loop iterations to snapshot and recompute.

Pure functions of the step count and the number of snapshot slots, written so
that Numba compiles them: the generated derivative code drives a loop's
reversal with them, one action at a time, inside compiled code (no Python call
per step, O(slots) memory for the schedule itself).

* ``revolve_*``: binomial checkpointing for a loop whose trip count is known
  when it starts (Griewank & Walther, "Algorithm 799: Revolve", ACM TOMS 26(1),
  2000): the fewest recomputed iterations for ``n`` iterations and ``s`` slots.
  The state machine below is that paper's ``revolve`` routine.
* ``online_*``: for a loop whose trip count is known only when it ends (a
  ``while`` loop): snapshots at a spacing that doubles whenever the slots are
  full (every other one is dropped), so ``s`` slots cover any number of
  iterations with spacing below ``2 n / s``; each gap is then reversed by Revolve
  with the slots free at that point.

Actions, as the driver runs them (``state k`` is the loop state before
iteration ``k``; the driver holds one current state):

* ``ADVANCE``: run iterations ``state[OLD]`` .. ``state[CAPO] - 1`` without taping;
* ``TAKESHOT``: copy the current state into slot ``state[CHECK]``;
* ``RESTORE``: make slot ``state[CHECK]`` the current state (``state[CAPO]``);
* ``FIRSTURN`` / ``YOUTURN``: run iteration ``state[CAPO]`` taped, then reverse
  it (the first one may stop between the two: the code after the loop runs and
  is reversed first);
* ``TERMINATE``: iteration 0 has been reversed.
"""
from math import comb

import numpy as np
from numba import njit

ADVANCE, TAKESHOT, RESTORE, FIRSTURN, YOUTURN, TERMINATE = range(6)
ONLINE_DEFAULT_SLOTS = 32
ACTION_NAMES = ("advance", "takeshot", "restore", "firsturn", "youturn", "terminate")

# Fields of a Revolve state (an int64 array); the slots' step numbers follow.
CHECK, CAPO, FINE, SNAPS, TURN, OLD, ADVANCES, TAKESHOTS, SLOTS = range(9)


@njit(cache=True)
def revolve_start(steps, snaps):
    """A Revolve state for reversing ``steps`` iterations with ``snaps`` slots (>= 1)."""
    state = np.zeros(SLOTS + max(snaps, 1), np.int64)
    revolve_reset(state, steps, snaps)
    return state


@njit(cache=True)
def revolve_reset(state, steps, snaps):
    """Make ``state`` (room for ``snaps`` slots or more) a fresh Revolve state."""
    state[:] = 0
    state[CHECK] = -1
    state[FINE] = steps
    state[SNAPS] = max(snaps, 1)


@njit(cache=True)
def revolve_next(state):
    """The next action (see the module docstring); updates ``state``."""
    check, capo, fine, snaps = state[CHECK], state[CAPO], state[FINE], state[SNAPS]
    if check == -1 and capo < fine:
        state[TURN] = 0
    if fine == capo:
        # back at a snapshot's step: done, or restore the newest snapshot
        if check == -1 or capo == state[SLOTS]:
            state[CHECK] = check - 1
            return TERMINATE
        state[CAPO] = state[SLOTS + check]
        return RESTORE
    if fine - capo == 1:
        # the iteration from capo is the next to reverse; its slot is free after it
        state[FINE] = fine - 1
        if check >= 0 and state[SLOTS + check] == capo:
            state[CHECK] = check - 1
        if state[TURN] == 0:
            state[TURN] = 1
            return FIRSTURN
        return YOUTURN
    if check == -1 or state[SLOTS + check] != capo:
        state[CHECK] = check + 1
        state[SLOTS + check + 1] = capo
        state[TAKESHOTS] += 1
        return TAKESHOT
    # advance to the binomially optimal next snapshot position
    free = snaps - check
    reps, span = 0, 1
    while span < fine - capo:
        reps += 1
        span = span * (reps + free) // reps
    bino1 = span * reps // (free + reps)
    bino2 = bino1 * free // (free + reps - 1) if free > 1 else 1
    bino3 = 0 if free == 1 else (bino2 * (free - 1) // (free + reps - 2) if free > 2 else 1)
    bino4 = bino2 * (reps - 1) // free
    bino5 = 0 if free < 3 else (bino3 * (free - 2) // reps if free > 3 else 1)
    if fine - capo <= bino1 + bino3:
        target = capo + bino4
    elif fine - capo >= span - bino5:
        target = capo + bino1
    else:
        target = fine - bino2 - bino3
    if target == capo:
        target = capo + 1
    state[OLD] = capo
    state[CAPO] = target
    state[ADVANCES] += target - capo
    return ADVANCE


def optimal_recomputations(steps, snaps):
    """The fewest iterations any schedule must run untaped (besides the ``steps``
    taped ones) to reverse ``steps`` iterations with ``snaps`` slots, one of which
    holds the initial state (Griewank & Walther 2000): ``r n - C(s + r, s + 1)`` with
    ``r`` the least repetition number with ``C(s + r, s) >= n``."""
    if steps <= 1:
        return 0
    reps = 0
    while comb(snaps + reps, snaps) < steps:
        reps += 1
    return reps * steps - comb(snaps + reps, snaps + 1)


@njit(cache=True)
def checkpoint_slots(steps, state_bytes, budget, used):
    """Snapshot slots for reversing ``steps`` iterations (-1: not known, online) whose
    state takes ``state_bytes``: the fewest with which each iteration is recomputed at
    most twice (``C(s + 2, 2) >= steps``; online: ONLINE_DEFAULT_SLOTS), or, with a
    ``budget`` (``>= 0``) that cannot hold those beside ``used`` bytes, as many as it
    holds (online, whose loop may be short: half of them). Not more than that: loops
    run later need room for their own."""
    if steps < 0:
        wanted = ONLINE_DEFAULT_SLOTS
    else:
        wanted = 1
        while (wanted + 1) * (wanted + 2) // 2 < steps:
            wanted += 1
    if budget < 0:
        return wanted
    slots = (budget - used) // max(state_bytes, 1)
    if slots < 1:
        raise MemoryError("numbad: the memory budget cannot hold one snapshot of the loop "
                          "state besides the tape so far (what earlier code and loops "
                          "taped, or one iteration's); raise memory_budget")
    if steps < 0:
        slots = max(slots // 2, 1)
    return min(slots, wanted)


# Fields of an online state after Revolve's (CHECK, CAPO, OLD, ADVANCES and TAKESHOTS
# keep their meaning, in absolute step numbers and physical slots); then the step held
# by each slot (-1: free), the Revolve state of the gap being reversed, and the
# physical slot of each of its slots.
SPACING, SEGMENT_START, SEGMENT_SLOT, STEPS = SLOTS, SLOTS + 1, SLOTS + 2, SLOTS + 3
ONLINE_HEADER = SLOTS + 4


@njit(cache=True)
def online_start(snaps):
    """An online state for a loop of unknown length with ``snaps`` slots (>= 1)."""
    snaps = max(snaps, 1)
    state = np.full(ONLINE_HEADER + snaps + (SLOTS + snaps) + snaps, -1, np.int64)
    state[:ONLINE_HEADER] = 0
    state[SNAPS] = snaps
    state[SPACING] = 1
    return state


@njit(cache=True)
def _held(state):
    snaps = state[SNAPS]
    return state[ONLINE_HEADER:ONLINE_HEADER + snaps]


@njit(cache=True)
def online_take(state, step):
    """Before iteration ``step`` of the forward run: whether to snapshot the current
    state; if so ``state[CHECK]`` is the slot. Snapshots are taken every ``spacing``
    steps; when the slots are full the spacing doubles and every snapshot off the new
    grid is dropped (step 0 is always kept)."""
    held = _held(state)
    if step % state[SPACING] != 0:
        return False
    free = -1
    for j in range(held.size):
        if held[j] < 0:
            free = j
            break
    if free < 0:
        state[SPACING] *= 2
        for j in range(held.size):
            if held[j] % state[SPACING] != 0:
                held[j] = -1
        if step % state[SPACING] != 0:
            return False
        for j in range(held.size):
            if held[j] < 0:
                free = j
                break
    held[free] = step
    state[CHECK] = free
    state[TAKESHOTS] += 1
    return True


@njit(cache=True)
def online_finish(state, steps):
    """The forward run ended after ``steps`` iterations: start reversing them."""
    state[STEPS] = steps
    state[SEGMENT_START] = steps        # no gap open yet
    state[CAPO] = steps


@njit(cache=True)
def online_next(state):
    """The next action of the reversal (as ``revolve_next``, in absolute steps and
    physical slots). Gaps between snapshots are reversed last to first, each by
    Revolve with the gap's own snapshot and every free slot."""
    snaps = state[SNAPS]
    held = _held(state)
    base = ONLINE_HEADER + snaps
    revolve = state[base:base + SLOTS + snaps]
    physical = state[base + SLOTS + snaps:base + SLOTS + 2 * snaps]
    while True:
        if state[SEGMENT_START] < state[STEPS]:
            action = revolve_next(revolve)
            if action != TERMINATE:
                start = state[SEGMENT_START]
                state[OLD] = revolve[OLD] + start
                state[CAPO] = revolve[CAPO] + start
                if action == TAKESHOT or action == RESTORE:
                    state[CHECK] = physical[revolve[CHECK]]
                    if action == TAKESHOT:
                        if revolve[CHECK] == 0:
                            continue        # the gap's own snapshot: already held
                        state[TAKESHOTS] += 1
                if action == ADVANCE:
                    state[ADVANCES] += revolve[CAPO] - revolve[OLD]
                return action
            held[state[SEGMENT_SLOT]] = -1      # the gap is reversed: its slot is free
            state[STEPS] = state[SEGMENT_START]
        # open the last gap left: from the newest snapshot before STEPS
        newest = -1
        for j in range(snaps):
            if 0 <= held[j] < state[STEPS] and (newest < 0 or held[j] > held[newest]):
                newest = j
        if newest < 0:
            return TERMINATE
        start = held[newest]
        state[SEGMENT_START] = start
        state[SEGMENT_SLOT] = newest
        physical[0] = newest
        free = 1
        for j in range(snaps):
            if held[j] < 0:
                physical[free] = j
                free += 1
        revolve_reset(revolve, state[STEPS] - start, free)
        state[CHECK] = newest
        state[CAPO] = start
        return RESTORE

"""ADBench's LSTM objective: numbad vs a hand-written adjoint vs JAX vs autograd.

Run: ``python -m benchmarks --only lstm`` (``--quick``: the small size only).

The objective is ADBench's (microsoft/ADBench, ``src/cpp/shared/lstm.h``; the
same function as its PyTorch/TensorFlow ``lstm_objective.py``): an l-layer LSTM
of hidden size b with *elementwise* ("diagonal") weights run over a sequence of
c vectors of b bits, predicting each next vector:

    per layer (weights w = main_params[2 k], biases u = main_params[2 k + 1],
    each four blocks of b: forget, ingate, outgate, change), input x, state (h, c):
        forget  = sigmoid(x * w_f + u_f)      ingate = sigmoid(h * w_i + u_i)
        outgate = sigmoid(x * w_o + u_o)      change = tanh(h * w_c + u_c)
        c <- c * forget + ingate * change;    h <- outgate * tanh(c);   x <- h
    the first layer's input is sequence[t] * extra_params[0]; the prediction is
    ypred = x * extra_params[1] + extra_params[2] (x: the last layer's hidden);
    ynorm = ypred - log(sum(exp(ypred)) + 2)       (ADBench's "logsumexp", + 2 included)
    loss  = -sum_t sum(sequence[t + 1] * ynorm) / ((c - 1) b)

``state`` (2l x b: hidden, cell of each layer) is carried through the sequence
(copied first: the call leaves the argument alone). The gradient is w.r.t.
``main_params`` (2l x 4b) and ``extra_params`` (3 x b).

Sizes. ADBench's generator (``data/lstm/gen_data.py``) writes l in {2, 4},
c in {1024, 4096} with b = 14 (the bits of its text's characters), state and
parameters ~ U(0, 1) (``np.random.random``) and the sequence the 0/1 bits of
the text's characters. Here the same shapes and distributions, the bits drawn
at random (``numpy.random.default_rng(SEED)``): quick l=2 c=1024; full adds
l=4 c=4096.

Contenders:
  objective  ``lstm_objective``: plain ``@njit`` loops over t, layers and the b
             entries, as a Numba user writes it (work arrays allocated once)
  numbad     ``numbad.grad(lstm_objective, argnums=(0, 1))``
  hand       ``lstm_gradient_hand``: a forward sweep storing the gates, tanh of
             the cells and the states per (t, layer) and the loss's adjoint per
             t, then the reverse sweep over t carrying the hidden/cell adjoints
  jax        ``jax.jit(jax.grad(...))`` of the objective with ``jax.lax.scan``
             over the sequence (layers unrolled), x64
  autograd   ``autograd.grad`` of the same with ``autograd.numpy``, a Python loop
"""
import math

import numpy as np
from numba import njit

from . import Case

SEED = 31337
B = 14                                       # ADBench's char_bits
QUICK_SIZES = ((2, 1024),)                   # (l, c)
FULL_SIZES = ((2, 1024), (4, 4096))


# ---------------------------------------------------------------------------
# the objective, as plain Numba loops
# ---------------------------------------------------------------------------

@njit
def sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


@njit
def lstm_objective(main_params, extra_params, state, sequence):
    n_layers = main_params.shape[0] // 2
    c = sequence.shape[0]
    b = sequence.shape[1]
    st = state.copy()
    x = np.empty(b)                  # the current layer's input, then its output
    ypred = np.empty(b)
    total = 0.0
    for t in range(c - 1):
        for i in range(b):
            x[i] = sequence[t, i] * extra_params[0, i]
        for k in range(n_layers):
            w = 2 * k
            u = 2 * k + 1
            for i in range(b):
                h = st[w, i]
                forget = sigmoid(x[i] * main_params[w, i] + main_params[u, i])
                ingate = sigmoid(h * main_params[w, b + i] + main_params[u, b + i])
                outgate = sigmoid(x[i] * main_params[w, 2 * b + i] + main_params[u, 2 * b + i])
                change = math.tanh(h * main_params[w, 3 * b + i] + main_params[u, 3 * b + i])
                cell = st[u, i] * forget + ingate * change
                st[u, i] = cell
                hidden = outgate * math.tanh(cell)
                st[w, i] = hidden
                x[i] = hidden
        sumexp = 0.0
        for i in range(b):
            ypred[i] = x[i] * extra_params[1, i] + extra_params[2, i]
            sumexp += math.exp(ypred[i])
        lse = math.log(sumexp + 2.0)
        for i in range(b):
            total += sequence[t + 1, i] * (ypred[i] - lse)
    count = (c - 1) * b
    return -total / count


# ---------------------------------------------------------------------------
# hand-written reverse mode
# ---------------------------------------------------------------------------

@njit
def lstm_gradient_hand(main_params, extra_params, state, sequence):
    """(d loss/d main_params, d loss/d extra_params) of ``lstm_objective``.

    Forward sweep: per (t, layer) the four gate values and tanh(cell), and the
    hidden/cell states H, C (H[t], C[t]: the state before step t); the loss's
    adjoint w.r.t. ypred[t] is known once step t's softmax is, so dy[t] is stored
    and the output layer's parameter gradients are summed right there. Reverse
    sweep over t, layers from the top down, with dh, dc the adjoints of the
    hidden and cell states after the step (zero after the last one).
    """
    n_layers = main_params.shape[0] // 2
    c = sequence.shape[0]
    b = sequence.shape[1]
    n = c - 1
    inv_count = 1.0 / (n * b)
    H = np.empty((c, n_layers, b))
    C = np.empty((c, n_layers, b))
    gates = np.empty((n, n_layers, 5, b))      # forget, ingate, outgate, change, tanh(cell)
    dy = np.empty((n, b))
    g_main = np.zeros_like(main_params)
    g_extra = np.zeros_like(extra_params)
    for k in range(n_layers):
        for i in range(b):
            H[0, k, i] = state[2 * k, i]
            C[0, k, i] = state[2 * k + 1, i]
    ex = np.empty(b)
    for t in range(n):
        for k in range(n_layers):
            w = 2 * k
            u = w + 1
            for i in range(b):
                if k == 0:
                    x = sequence[t, i] * extra_params[0, i]
                else:
                    x = H[t + 1, k - 1, i]
                h = H[t, k, i]
                f = 1.0 / (1.0 + math.exp(-(x * main_params[w, i] + main_params[u, i])))
                ig = 1.0 / (1.0 + math.exp(-(h * main_params[w, b + i] + main_params[u, b + i])))
                og = 1.0 / (1.0 + math.exp(-(x * main_params[w, 2 * b + i]
                                              + main_params[u, 2 * b + i])))
                ch = math.tanh(h * main_params[w, 3 * b + i] + main_params[u, 3 * b + i])
                cell = C[t, k, i] * f + ig * ch
                tc = math.tanh(cell)
                C[t + 1, k, i] = cell
                H[t + 1, k, i] = og * tc
                gates[t, k, 0, i] = f
                gates[t, k, 1, i] = ig
                gates[t, k, 2, i] = og
                gates[t, k, 3, i] = ch
                gates[t, k, 4, i] = tc
        # loss term: -inv_count * sum_i ygold_i (ypred_i - log(sum exp(ypred) + 2))
        top = n_layers - 1
        sumexp = 0.0
        sumgold = 0.0
        for i in range(b):
            e = math.exp(H[t + 1, top, i] * extra_params[1, i] + extra_params[2, i])
            ex[i] = e
            sumexp += e
            sumgold += sequence[t + 1, i]
        scale = sumgold / (sumexp + 2.0)
        for i in range(b):
            d = -inv_count * (sequence[t + 1, i] - scale * ex[i])
            dy[t, i] = d
            g_extra[1, i] += d * H[t + 1, top, i]
            g_extra[2, i] += d
    dh = np.zeros((n_layers, b))
    dc = np.zeros((n_layers, b))
    for t in range(n - 1, -1, -1):
        top = n_layers - 1
        for i in range(b):
            dh[top, i] += dy[t, i] * extra_params[1, i]
        for k in range(n_layers - 1, -1, -1):
            w = 2 * k
            u = w + 1
            for i in range(b):
                f = gates[t, k, 0, i]
                ig = gates[t, k, 1, i]
                og = gates[t, k, 2, i]
                ch = gates[t, k, 3, i]
                tc = gates[t, k, 4, i]
                h = H[t, k, i]
                if k == 0:
                    x = sequence[t, i] * extra_params[0, i]
                else:
                    x = H[t + 1, k - 1, i]
                dhid = dh[k, i]
                dcell = dc[k, i] + dhid * og * (1.0 - tc * tc)
                # pre-activation adjoints
                zf = dcell * C[t, k, i] * f * (1.0 - f)
                zi = dcell * ch * ig * (1.0 - ig)
                zo = dhid * tc * og * (1.0 - og)
                zc = dcell * ig * (1.0 - ch * ch)
                g_main[w, i] += zf * x
                g_main[u, i] += zf
                g_main[w, b + i] += zi * h
                g_main[u, b + i] += zi
                g_main[w, 2 * b + i] += zo * x
                g_main[u, 2 * b + i] += zo
                g_main[w, 3 * b + i] += zc * h
                g_main[u, 3 * b + i] += zc
                dx = zf * main_params[w, i] + zo * main_params[w, 2 * b + i]
                dh[k, i] = zi * main_params[w, b + i] + zc * main_params[w, 3 * b + i]
                dc[k, i] = dcell * f
                if k == 0:
                    g_extra[0, i] += dx * sequence[t, i]
                else:
                    dh[k - 1, i] += dx
    return g_main, g_extra


# ---------------------------------------------------------------------------
# JAX: lax.scan over the sequence, as in ADBench's TensorFlow while_loop
# ---------------------------------------------------------------------------

def lstm_jax_objective():
    """The objective in ``jax.numpy`` with ``jax.lax.scan`` over t (x64 enabled)."""
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def lstm_model(weight, bias, hidden, cell, inp):
        b = hidden.shape[0]
        gates = jnp.concatenate((inp, hidden, inp, hidden)) * weight + bias
        forget = jax.nn.sigmoid(gates[:b])
        ingate = jax.nn.sigmoid(gates[b:2 * b])
        outgate = jax.nn.sigmoid(gates[2 * b:3 * b])
        change = jnp.tanh(gates[3 * b:])
        cell = cell * forget + ingate * change
        hidden = outgate * jnp.tanh(cell)
        return hidden, cell

    def predict(w, w2, state, x):
        x = x * w2[0]
        new_state = []
        for i in range(0, state.shape[0], 2):
            hidden, cell = lstm_model(w[i], w[i + 1], state[i], state[i + 1], x)
            x = hidden
            new_state += [hidden, cell]
        return x * w2[1] + w2[2], jnp.stack(new_state)

    def objective(main_params, extra_params, state, sequence):
        def step(st, inp_gold):
            inp, ygold = inp_gold
            ypred, st = predict(main_params, extra_params, st, inp)
            ynorm = ypred - jnp.log(jnp.sum(jnp.exp(ypred)) + 2.0)
            return st, jnp.sum(ygold * ynorm)

        _, totals = jax.lax.scan(step, state, (sequence[:-1], sequence[1:]))
        count = (sequence.shape[0] - 1) * sequence.shape[1]
        return -jnp.sum(totals) / count

    return objective


# ---------------------------------------------------------------------------
# autograd: the same with autograd.numpy and a Python loop over t
# ---------------------------------------------------------------------------

def lstm_autograd_objective():
    """The objective in ``autograd.numpy`` (ADBench's PyTorch version, transcribed)."""
    import autograd.numpy as anp

    def sigmoid_a(z):
        return 1.0 / (1.0 + anp.exp(-z))

    def lstm_model(weight, bias, hidden, cell, inp):
        b = hidden.shape[0]
        gates = anp.concatenate((inp, hidden, inp, hidden)) * weight + bias
        forget = sigmoid_a(gates[:b])
        ingate = sigmoid_a(gates[b:2 * b])
        outgate = sigmoid_a(gates[2 * b:3 * b])
        change = anp.tanh(gates[3 * b:])
        cell = cell * forget + ingate * change
        hidden = outgate * anp.tanh(cell)
        return hidden, cell

    def objective(main_params, extra_params, state, sequence):
        st = [state[i] for i in range(state.shape[0])]
        total = 0.0
        for t in range(sequence.shape[0] - 1):
            x = sequence[t] * extra_params[0]
            for i in range(0, len(st), 2):
                st[i], st[i + 1] = lstm_model(main_params[i], main_params[i + 1],
                                              st[i], st[i + 1], x)
                x = st[i]
            ypred = x * extra_params[1] + extra_params[2]
            ynorm = ypred - anp.log(anp.sum(anp.exp(ypred)) + 2.0)
            total = total + anp.sum(sequence[t + 1] * ynorm)
        count = (sequence.shape[0] - 1) * sequence.shape[1]
        return -total / count

    return objective


# ---------------------------------------------------------------------------
# instances and cases
# ---------------------------------------------------------------------------

def make_instance(n_layers, c, b=B, seed=SEED):
    """(main_params, extra_params, state, sequence) drawn as ADBench draws them."""
    rng = np.random.default_rng(seed)
    state = rng.random((2 * n_layers, b))
    main_params = rng.random((2 * n_layers, 4 * b))
    extra_params = rng.random((3, b))
    sequence = rng.integers(0, 2, size=(c, b)).astype(np.float64)
    return main_params, extra_params, state, sequence


def cases(quick: bool) -> list:
    out = []
    for n_layers, c in (QUICK_SIZES if quick else FULL_SIZES):
        out.append(Case(
            workload="LSTM", size=f"l={n_layers} c={c} b={B}",
            primal=lstm_objective, args=make_instance(n_layers, c), argnums=(0, 1),
            hand=lstm_gradient_hand, jax=lstm_jax_objective,
            autograd=lstm_autograd_objective, loop_heavy=True,
            # the loss is a mean over (c - 1) b terms: its rounding noise over a
            # 1e-6 step is ~1e-7 of the gradient's scale, over 1e-5 ~1e-8
            fd_step=1e-5))
    return out


# ---------------------------------------------------------------------------
# self-check
# ---------------------------------------------------------------------------

"""User-defined derivative rules for whole functions, as in JAX.

``@numbad.custom_vjp`` / ``@numbad.custom_jvp`` wrap a function whose derivative
the user gives (an iterative solver differentiated by the implicit-function
rule, a numerically better formula, a function Numba cannot see into). The
wrapped function is called like the original from Python and from ``@njit``
code (Numba types it as its compiled primal); wherever numbad differentiates a
call to it, it uses the user's rule:

* ``f.defvjp(fwd, bwd)``: ``fwd(*args) -> (out, residuals)``,
  ``bwd(residuals, out_bar) -> (one cotangent per argument,)``; reverse mode
  calls them; forward mode differentiates ``f`` itself.
* ``f.defjvp(jvp)``: ``jvp(primals, tangents) -> (out, out_dot)`` with
  ``primals`` and ``tangents`` tuples; forward mode calls it; reverse mode builds
  the VJP from one JVP per input element (exact; meant for few inputs).

The rule functions are compiled with ``numba.njit`` (pass ``@njit`` functions
or plain ones).
"""
import numba
from numba.core import types
from numba.extending import typeof_impl


class _Custom:
    def __init__(self, f):
        self.primal = f if isinstance(f, numba.core.dispatcher.Dispatcher) else numba.njit(f)
        self.py_func = self.primal.py_func
        self.__name__ = self.py_func.__name__
        self.__doc__ = self.py_func.__doc__

    def __call__(self, *args):
        return self.primal(*args)

    def get_call_template(self, args, kws):
        """Numba asks this of a callee: the primal's (so numbad treats it as one)."""
        return self.primal.get_call_template(args, kws)


class CustomVJP(_Custom):
    """A function with a user-given reverse-mode rule (see the module docstring)."""

    fwd = bwd = None

    def defvjp(self, fwd, bwd):
        self.fwd, self.bwd = _compiled(fwd), _compiled(bwd)
        return self


class CustomJVP(_Custom):
    """A function with a user-given forward-mode rule (see the module docstring)."""

    jvp = None

    def defjvp(self, jvp):
        self.jvp = _compiled(jvp)
        return jvp


def custom_vjp(f):
    """Decorator: give ``f`` its own reverse-mode rule with ``f.defvjp(fwd, bwd)``."""
    return CustomVJP(f)


def custom_jvp(f):
    """Decorator: give ``f`` its own forward-mode rule with ``@f.defjvp``."""
    return CustomJVP(f)


def _compiled(fn):
    return fn if isinstance(fn, numba.core.dispatcher.Dispatcher) else numba.njit(fn)


@typeof_impl.register(CustomVJP)
@typeof_impl.register(CustomJVP)
def _typeof_custom(value, context):
    return types.Dispatcher(value.primal)


def rule_source(mode, custom, arg_types, wrt, name):
    """Source and globals of the VJP (``mode`` "vjp") or JVP of ``custom``'s rule, with
    numbad's calling conventions; None where the rule does not cover ``mode``
    (then numbad differentiates the function itself)."""
    params = ["a%d" % i for i in range(len(arg_types))]
    ns = {"_primal": custom.primal}
    if mode == "vjp" and isinstance(custom, CustomVJP):
        _need(custom.fwd, custom, "defvjp")
        ns.update(_fwd=custom.fwd, _bwd=custom.bwd)
        lines = ["def %s(%s, _ret_bar):" % (name, ", ".join(params)),
                 "    _out, _res = _fwd(%s)" % ", ".join(params),
                 "    _bars = _bwd(_res, _ret_bar)",
                 "    return _out, (%s), (0, 0, 0)" % "".join("_bars[%d], " % i for i in wrt)]
    elif mode == "jvp" and isinstance(custom, CustomJVP):
        _need(custom.jvp, custom, "defjvp")
        ns["_jvp"] = custom.jvp
        tangents = ["d%d" % i if i in wrt else _zero(t, "a%d" % i)
                    for i, t in enumerate(arg_types)]
        lines = ["def %s(%s):" % (name, ", ".join(params + ["d%d" % i for i in wrt])),
                 "    return _jvp((%s,), (%s,))" % (", ".join(params), ", ".join(tangents))]
    elif mode == "vjp" and isinstance(custom, CustomJVP):
        _need(custom.jvp, custom, "defjvp")
        ns["_jvp"] = custom.jvp
        lines = _vjp_by_jvps(name, params, arg_types, wrt)
    else:
        return None
    return "\n".join(lines) + "\n", ns


def _vjp_by_jvps(name, params, arg_types, wrt):
    """A VJP from JVPs: one unit tangent per element of each differentiated argument."""
    lines = ["def %s(%s, _ret_bar):" % (name, ", ".join(params)),
             "    _out = _primal(%s)" % ", ".join(params)]
    zeros = [_zero(t, "a%d" % i) for i, t in enumerate(arg_types)]
    call = "_jvp((%s,), (%s,))[1]" % (", ".join(params), "%s")
    for i in wrt:
        others = list(zeros)
        if isinstance(arg_types[i], types.Array):
            others[i] = "_t"
            lines += ["    b%d = np.zeros_like(a%d)" % (i, i),
                      "    for _k in range(a%d.size):" % i,
                      "        _t = np.zeros_like(a%d)" % i,
                      "        _t.reshape(_t.size)[_k] = 1.0",
                      "        b%d.reshape(b%d.size)[_k] = _sum_to(_ret_bar * %s, 0.0)"
                      % (i, i, call % ", ".join(others))]
        else:
            others[i] = "1.0"
            lines.append("    b%d = _sum_to(_ret_bar * %s, 0.0)" % (i, call % ", ".join(others)))
    lines.append("    return _out, (%s), (0, 0, 0)" % "".join("b%d, " % i for i in wrt))
    return lines


def _zero(t, name):
    return "np.zeros_like(%s)" % name if isinstance(t, types.Array) else "0.0"


def _need(rule, custom, method):
    if rule is None:
        raise TypeError("%s has no rule yet: call %s.%s(...) first"
                        % (custom.__name__, custom.__name__, method))


def is_custom(f):
    return isinstance(f, _Custom)

"""The errors numbad raises."""
import linecache


class NotDifferentiableError(TypeError):
    """Code that numbad cannot differentiate.

    The message names the construct and the user's ``file:line``; it is raised
    before any derivative code runs.
    """


def not_differentiable(what, loc=None):
    """Build a NotDifferentiableError for construct ``what`` at IR location ``loc``."""
    where = ""
    if loc is not None and getattr(loc, "filename", None):
        where = " at %s:%s" % (loc.filename, loc.line)
        line = linecache.getline(loc.filename, loc.line or 0).strip()
        if line:
            where += "\n    " + line
    return NotDifferentiableError("numbad cannot differentiate %s%s" % (what, where))


class _SourceLocation:
    """Where a Python function is defined, in the shape of a Numba IR location."""

    def __init__(self, filename, line):
        self.filename, self.line = filename, line


def definition_loc(func):
    """The location of ``func``'s ``def`` line, for errors about the whole function."""
    code = func.__code__
    return _SourceLocation(code.co_filename, code.co_firstlineno)

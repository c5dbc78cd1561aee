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

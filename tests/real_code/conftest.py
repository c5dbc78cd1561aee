# tests/real_code is imported as the package `tests.real_code` everywhere (pytest,
# report.py, the child processes of isolated cases): numba-stats' @njit(cache=True)
# functions record their module's name in Numba's cache, and a second name for the
# same files would make those cache entries unloadable. tests/ itself is not a
# package, so pytest would call this one `real_code`; put the repository root on
# the path (at the end: a numbad given on PYTHONPATH still comes first).
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.append(ROOT)

"""The persistent derivative cache: compiled derivatives kept on disk between processes.

Each entry is a folder named by its key (code_key.py: everything the derivative
depends on) holding the generated module, ``meta.pickle`` (what numbad needs to
use it without running the transform) and Numba's own cache of its machine code
(``njit(cache=True)``, in ``__pycache__``). A second process that asks for the same
derivative imports the module and loads the machine code: neither numbad's
transform nor LLVM runs.

On by default, in ``NUMBAD_CACHE_DIR`` (else ``$XDG_CACHE_HOME/numbad`` or
``~/.cache/numbad``); ``NUMBAD_CACHE=0`` turns it off; ``NUMBAD_CACHE_SIZE``
bounds its bytes (default 2 GiB; least recently used entries go first). An entry
that cannot be read whole is removed and made again, never used.
"""
import hashlib
import os
import pickle
import shutil
import tempfile
import warnings

from .code_key import FORMAT

META = "meta.pickle"
DEFAULT_SIZE = 2 * 1024 ** 3
_warned = []


def enabled():
    """Whether derivatives are kept on disk (``NUMBAD_CACHE=0`` turns it off)."""
    return os.environ.get("NUMBAD_CACHE", "1").strip().lower() not in ("0", "false", "no",
                                                                       "off")


def folder():
    """The cache's folder (made if missing; OSError where it cannot be)."""
    path = _root()
    os.makedirs(path, exist_ok=True)
    return path


def _root():
    return os.environ.get("NUMBAD_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"),
        "numbad")


def scratch_folder():
    """Where generated modules go that are not cached (a temporary folder)."""
    path = os.path.join(tempfile.gettempdir(),
                        "numbad-%s" % getattr(os, "getuid", lambda: "user")())
    os.makedirs(path, exist_ok=True)
    return path


def entry_folder(key):
    return os.path.join(folder(), key)


def info():
    """``{"folder", "entries", "bytes"}`` of the persistent cache."""
    entries = _entries() if os.path.isdir(_root()) else []
    return {"folder": _root(), "entries": len(entries),
            "bytes": sum(size for _, size, _ in entries)}


def clear():
    """Remove every entry of the persistent cache (other files in its folder stay)."""
    for path, _, _ in _entries() if os.path.isdir(_root()) else []:
        shutil.rmtree(path, ignore_errors=True)


def read(key):
    """The metadata of entry ``key`` when it is whole (its module file as written),
    else None (and a damaged entry is removed)."""
    try:
        entry = entry_folder(key)
    except OSError:
        return None
    path = os.path.join(entry, META)
    try:
        with open(path, "rb") as fh:
            meta = pickle.load(fh)
        with open(os.path.join(entry, meta["module"] + ".py"), "rb") as fh:
            whole = hashlib.sha256(fh.read()).hexdigest() == meta["sha"]
        if meta.get("format") != FORMAT or not whole:
            raise ValueError("stale or damaged")
    except FileNotFoundError:
        return None
    except Exception:       # (truncated, corrupted, foreign: made again)
        shutil.rmtree(entry, ignore_errors=True)
        return None
    try:
        os.utime(path)      # (recently used)
    except OSError:
        pass
    return meta


def write_module(key, modname, text):
    """The path of entry ``key``'s module file holding ``text`` (written once: a file
    already there with this text is left as it is, so that Numba's cache of it stays
    valid), or None, with one warning, when the folder cannot be written."""
    try:
        path = os.path.join(entry_folder(key), modname + ".py")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if not _holds(path, text):
            write_atomically(path, text)
        return path
    except OSError as e:
        _warn_once(e)
        return None


def write_meta(key, meta):
    """Record entry ``key`` as whole (after its module file), then keep the cache
    within its size bound."""
    try:
        path = os.path.join(entry_folder(key), META)
        tmp = "%s.%d.tmp" % (path, os.getpid())
        with open(tmp, "wb") as fh:
            pickle.dump(dict(meta, format=FORMAT), fh)
        os.replace(tmp, path)
        _evict(int(os.environ.get("NUMBAD_CACHE_SIZE", DEFAULT_SIZE)))
    except OSError as e:
        _warn_once(e)


def write_atomically(path, text):
    """Write ``text`` to ``path`` through a file of this process, renamed into place
    (a reader sees the old file or the whole new one)."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    with open(tmp, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)


def _holds(path, text):
    try:
        with open(path) as fh:
            return fh.read() == text
    except OSError:
        return False


def _entries():
    """(folder, bytes, last use) of each entry, oldest first."""
    root = _root()
    found = []
    for name in os.listdir(root):
        path = os.path.join(root, name)
        meta = os.path.join(path, META)
        if len(name) == 64 and os.path.isfile(meta):
            size = sum(os.path.getsize(os.path.join(d, f)) for d, _, files in os.walk(path)
                       for f in files)
            found.append((path, size, os.path.getmtime(meta)))
    return sorted(found, key=lambda e: e[2])


def _evict(limit):
    entries = _entries()
    total = sum(size for _, size, _ in entries)
    for path, size, _ in entries[:-1]:      # (never the entry just written)
        if total <= limit:
            break
        shutil.rmtree(path, ignore_errors=True)
        total -= size


def _warn_once(error):
    if not _warned:
        _warned.append(True)
        warnings.warn("numbad: the derivative cache folder %s cannot be written (%s); "
                      "derivatives are compiled in memory" % (_root(), error),
                      RuntimeWarning, stacklevel=3)

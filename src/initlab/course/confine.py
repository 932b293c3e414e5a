"""How a worker is confined: a bubblewrap container, then limits, an unprivileged user and Landlock.

Layers, outermost first (the grader starts the first, the worker applies the rest to itself
before it reads anything of the submission):

1. **bubblewrap** (``bwrap``, Debian's ``bubblewrap``), when installed: new PID, network, IPC
   and UTS namespaces; a file-system view made of read-only binds of the system and the Python
   installation, a private ``/tmp``, a fresh ``/proc`` and ``/dev``, and the worker's own folder,
   the only writable place, mounted at :data:`HOME`. The hidden tests are not even mounted.
   ``--die-with-parent`` and the PID namespace mean that when the worker ends, every process it
   started ends with it, ``setsid`` children included.
2. **resource limits**: address space, CPU time, file size, no core dumps, and (with a user of
   its own) a number of processes.
3. **an unprivileged user**: a grader running as root gives each worker a uid and gid of its own
   (:data:`UID_BASE` + a slot), so file permissions and ``RLIMIT_NPROC`` apply, then every
   capability is dropped.
4. **Landlock** (Linux >= 5.13): read only the system and the Python installation, write only
   the worker's folder, no TCP (Linux >= 6.7), no signals or abstract sockets outside the worker
   (Linux >= 6.12). Inside bubblewrap it is a second wall; without it, the only one.

Everything here is a system call or a ``bwrap`` option: no privilege is needed except to change
user.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

__all__ = ["HOME", "UID_BASE", "confine", "landlock_abi", "bwrap_path", "bwrap_args", "kill_user",
           "pids_of"]

#: Where a worker's folder is mounted inside bubblewrap.
HOME = "/home/submission"
#: First uid (and gid) a root grader gives its workers; one per worker running at once.
UID_BASE = 3_500_000

_LANDLOCK_CREATE_RULESET, _LANDLOCK_ADD_RULE, _LANDLOCK_RESTRICT_SELF = 444, 445, 446
_FS_EXECUTE, _FS_WRITE_FILE, _FS_READ_FILE, _FS_READ_DIR = 1, 2, 4, 8
_FS_REFER, _FS_TRUNCATE = 1 << 13, 1 << 14
_FS_FILE_RIGHTS = _FS_EXECUTE | _FS_WRITE_FILE | _FS_READ_FILE | _FS_TRUNCATE
_FS_READ = _FS_EXECUTE | _FS_READ_FILE | _FS_READ_DIR
_NET_ALL = 0b11                  # bind and connect TCP
_SCOPE_ALL = 0b11                # abstract unix sockets and signals
_PR_SET_NO_NEW_PRIVS, _PR_CAPBSET_DROP = 38, 24


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneathAttr(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return None
    libc.syscall.restype = ctypes.c_long
    return libc


def landlock_abi() -> int:
    """The Landlock ABI version of the running kernel, 0 if it has none (or this is not Linux).

    Examples
    --------
    >>> landlock_abi() >= 0
    True
    """
    libc = _libc()
    if libc is None:
        return 0
    version = libc.syscall(ctypes.c_long(_LANDLOCK_CREATE_RULESET), None, ctypes.c_size_t(0),
                           ctypes.c_uint32(1))
    return max(int(version), 0)


def _landlock(libc, abi, read: list[str], write: list[str], devices: list[str]) -> None:
    fs = (1 << 13) - 1 | (_FS_REFER if abi >= 2 else 0) | (_FS_TRUNCATE if abi >= 3 else 0)
    attr = _RulesetAttr(fs, _NET_ALL if abi >= 4 else 0, _SCOPE_ALL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    ruleset = libc.syscall(ctypes.c_long(_LANDLOCK_CREATE_RULESET), ctypes.byref(attr),
                           ctypes.c_size_t(size), ctypes.c_uint32(0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset failed")
    rules = [(p, _FS_READ) for p in read] + [(p, fs) for p in write]
    rules += [(p, _FS_READ_FILE | _FS_WRITE_FILE) for p in devices]
    for path, access in rules:
        try:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
        except OSError:
            continue                                   # a path this system does not have
        try:
            if not stat.S_ISDIR(os.fstat(fd).st_mode):
                access &= _FS_FILE_RIGHTS
            rule = _PathBeneathAttr(access & fs, fd)
            if libc.syscall(ctypes.c_long(_LANDLOCK_ADD_RULE), ctypes.c_int(ruleset),
                            ctypes.c_int(1), ctypes.byref(rule), ctypes.c_uint32(0)) < 0:
                raise OSError(ctypes.get_errno(), f"landlock_add_rule failed for {path}")
        finally:
            os.close(fd)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if libc.syscall(ctypes.c_long(_LANDLOCK_RESTRICT_SELF), ctypes.c_int(ruleset),
                    ctypes.c_uint32(0)) < 0:
        raise OSError(ctypes.get_errno(), "landlock_restrict_self failed")
    os.close(ruleset)


def _drop_capabilities(libc) -> None:
    """Empty the bounding, effective, permitted and inheritable capability sets (root keeps its
    uid, so it still reaches its files, but loses every privilege such as raising hard limits)."""
    for cap in range(64):
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)     # fails harmlessly without CAP_SETPCAP
    header = (ctypes.c_uint32 * 2)(0x20080522, 0)      # _LINUX_CAPABILITY_VERSION_3, this process
    data = (ctypes.c_uint32 * 6)()                     # two (effective, permitted, inheritable)
    if libc.capset(ctypes.byref(header), ctypes.byref(data)) != 0:
        raise OSError(ctypes.get_errno(), "capset failed")


def _drop_user(libc, uid: int, gid: int) -> None:
    """Become ``uid``/``gid`` with no supplementary groups, for good (real, effective, saved)."""
    for cap in range(64):                               # the bounding set needs CAP_SETPCAP: now
        libc.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0)
    os.setgroups([])
    os.setresgid(gid, gid, gid)
    os.setresuid(uid, uid, uid)


def confine(config: dict) -> dict:
    """Apply the limits of ``config`` to this process, for good. Returns what was applied.

    ``config``: ``limits`` (``memory``, ``cpu``, ``file_size``, ``processes``: each a number or
    None), ``uid``/``gid`` (a user to become if this process is root, or None), and the Landlock
    lists ``read``, ``write`` and ``devices``. Call it before running anything untrusted.

    Examples
    --------
    Confining is for good, so try it in a process of its own:

    >>> import subprocess, sys
    >>> code = ("from initlab.course.confine import confine; "
    ...         "print(confine({'limits': {'cpu': 60}, 'read': [], 'write': [], 'devices': []})['limits'])")
    >>> print(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout, end="")
    {'RLIMIT_CORE': 0, 'RLIMIT_CPU': 60}
    """
    import resource
    import signal

    limits, applied = config["limits"], {"landlock": 0, "limits": {}, "uid": os.getuid()}
    drop = config.get("uid") is not None and os.geteuid() == 0
    wanted = [("RLIMIT_AS", limits.get("memory")), ("RLIMIT_FSIZE", limits.get("file_size")),
              ("RLIMIT_CORE", 0), ("RLIMIT_CPU", limits.get("cpu")),
              ("RLIMIT_NPROC", limits.get("processes") if drop else None)]
    for name, value in wanted:
        if value is None:
            continue
        hard = value + 5 if name == "RLIMIT_CPU" else value   # SIGXCPU first, SIGKILL 5 s later
        try:
            resource.setrlimit(getattr(resource, name), (value, hard))
        except (ValueError, OSError):
            if name != "RLIMIT_AS":
                raise
            resource.setrlimit(resource.RLIMIT_DATA, (value, value))   # systems without RLIMIT_AS
            name = "RLIMIT_DATA"
        applied["limits"][name] = value
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # a too-big file is an OSError, not a kill
    libc = _libc()
    if libc is not None:
        if drop:
            _drop_user(libc, int(config["uid"]), int(config["gid"]))
            applied["uid"] = os.getuid()
        _drop_capabilities(libc)
        abi = landlock_abi()
        if abi >= 1:
            _landlock(libc, abi, config["read"], config["write"], config["devices"])
            applied["landlock"] = abi
    return applied


# ---------------------------------------------------------------------------------------------
# bubblewrap: the container around a worker, set up by the grader

_SYSTEM_LINKS = ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
_PROBE: dict = {}


def bwrap_path() -> str | None:
    """The ``bwrap`` program, if installed and able to start a container here; else None.

    It can be installed yet unusable, e.g. in a container without the privileges to create
    namespaces: a tiny container is started once per process to find out.

    Examples
    --------
    >>> path = bwrap_path()
    >>> path is None or path.endswith("bwrap")
    True
    """
    path = shutil.which("bwrap")
    if path is None:
        return None
    if path not in _PROBE:
        args = ["--unshare-pid", "--unshare-net", *_system_binds(["/usr"]), "--proc", "/proc",
                "--", os.path.realpath(sys.executable), "-I", "-S", "-c", "pass"]
        try:
            done = subprocess.run([path, *args], capture_output=True, timeout=60)
            _PROBE[path] = done.returncode == 0
        except (OSError, subprocess.TimeoutExpired):
            _PROBE[path] = False
    return path if _PROBE[path] else None


def _system_binds(read) -> list[str]:
    """Read-only binds of ``read`` (real paths), and the system's top-level links such as
    ``/lib64 -> usr/lib64``, which the dynamic loader needs."""
    args, bound = [], []
    for link in _SYSTEM_LINKS:
        if os.path.islink(link):
            args += ["--symlink", os.readlink(link), link]
        elif os.path.isdir(link):
            args += ["--ro-bind", link, link]
            bound.append(link)
    prefix = sys.base_prefix if os.path.isdir(sys.base_prefix) else "/usr"
    for path in sorted({*read, os.path.realpath(prefix)}):
        if path in ("/proc", "/dev") or not os.path.exists(path) or any(
                path == b or path.startswith(b.rstrip("/") + "/") for b in bound):
            continue
        args += ["--ro-bind", path, path]
        bound.append(path)
    made = {str(parent) for path in bound for parent in Path(path).parents if str(parent) != "/"}
    for folder in sorted(made):                         # bwrap makes them 0700: let the user pass
        if not any(folder == b or folder.startswith(b.rstrip("/") + "/") for b in bound):
            args += ["--chmod", "0755", folder]
    return args


def bwrap_args(read: list[str], work: str, drop_user: bool) -> list[str]:
    """The options of ``bwrap`` for a worker whose folder is ``work`` (mounted at :data:`HOME`):
    read-only ``read`` paths, a private ``/tmp``, new namespaces, killed with its parent. When
    ``drop_user``, the worker keeps only the capabilities it needs to change user.

    Examples
    --------
    >>> args = bwrap_args(["/usr"], "/tmp/worker-1", drop_user=False)
    >>> "--unshare-net" in args, "--die-with-parent" in args
    (True, True)
    >>> i = args.index("--bind")
    >>> args[i:i + 3]                              # the only writable folder, mounted at HOME
    ['--bind', '/tmp/worker-1', '/home/submission']
    """
    args = ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--die-with-parent", "--new-session", "--cap-drop", "ALL"]
    if drop_user:
        args += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    # The private /tmp first: bwrap mounts in order, so a bind below /tmp (Python in a checkout
    # under /tmp, as on many CI machines) must come after the tmpfs, or the tmpfs hides it.
    args += ["--tmpfs", "/tmp"]
    args += _system_binds(read)
    args += ["--proc", "/proc", "--dev", "/dev",
             "--bind", work, HOME, "--chmod", "0755", os.path.dirname(HOME), "--chdir", HOME,
             "--hostname", "sandbox"]
    return args


def kill_user(uid: int, rounds: int = 50) -> int:
    """SIGKILL every process of ``uid`` (a worker's own user), until none is left or ``rounds``
    scans of ``/proc`` are done; returns how many processes were killed.

    Examples
    --------
    >>> kill_user(UID_BASE + 1_000_000)            # a uid no process uses: nothing to kill
    0
    """
    killed = 0
    for _ in range(rounds):
        found = [pid for pid in pids_of(uid) if pid != os.getpid()]
        if not found:
            break
        for pid in found:
            try:
                os.kill(pid, 9)
                killed += 1
            except OSError:
                pass
    return killed


def pids_of(uid: int) -> list[int]:
    """The processes whose /proc entry belongs to ``uid``.

    Examples
    --------
    >>> import os
    >>> os.getpid() in pids_of(os.getuid())
    True
    """
    pids = []
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if os.stat(entry.path).st_uid == uid:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids

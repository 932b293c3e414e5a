"""Run a student's notebook in a confined worker process, and call into it from the grader.

``initlab.grading`` never runs a submission's code in its own process, and a submission never
sees a test. A *worker* is ``python -I -B -m initlab.sandbox`` in a fresh temporary directory:

1. Before it reads anything of the submission it confines itself (:func:`confine`): resource
   limits (address space, CPU time, file size, no core dumps), no capabilities (a root grader's
   worker keeps uid 0 but loses every privilege, e.g. raising its own limits), and a Landlock
   ruleset (Linux ≥ 5.13): read only the Python installation and the system directories, write
   only its own directory, make no TCP connection and (Linux ≥ 6.12) signal no process outside
   itself. Then it says ``hello`` and reports what it got.
2. It runs the notebook's code cells one by one in an IPython shell, reporting when each cell
   starts and ends (with the error, if any). Output goes to a log file, never to the grader.
3. It answers requests: the value of a name, or a call of a function with arguments.

Values cross the pipes as JSON plus raw numpy buffers, **never pickle**: the grader decodes what a
worker sends as plain data, so a submission cannot run code in the grader. Numbers, strings,
containers and numeric arrays are copied; functions and other objects stay in the worker, and the
grader gets a proxy (:class:`RemoteObject`) that carries the object's type name, its repr, its
``initlab.coursework.describe`` description (for Keras models, layers and initializers) and,
if the object is callable, calls it remotely.

The worker is the student's: after the first cell, everything it sends is untrusted data. The
grader bounds every wait by a timeout and every message by :data:`MAX_MESSAGE` bytes.
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import stat
import struct
import sys
import time

MAX_MESSAGE = 256 << 20          # bytes in one message; a bigger answer is refused
_LOG_LIMIT = 2 << 20             # bytes of a worker's printed output kept in its log
_HEADER = struct.Struct("<QI")   # payload length, JSON header length


# ---------------------------------------------------------------------------------------------
# Wire format: a JSON header followed by raw buffers, one per numpy array or bytes value.

class ProtocolError(Exception):
    """A message that is not valid in this protocol."""


def frame(message: dict, blobs: list[bytes]) -> bytes:
    """Serialise ``message`` (JSON-able, arrays replaced by blob references) and its buffers."""
    message = dict(message, _blobs=[len(b) for b in blobs])
    header = json.dumps(message, separators=(",", ":")).encode()
    size = len(header) + sum(len(b) for b in blobs)
    return b"".join([_HEADER.pack(size, len(header)), header, *blobs])


def unframe(payload: bytes, header_length: int) -> tuple[dict, list[bytes]]:
    try:
        message = json.loads(payload[:header_length])
    except (ValueError, RecursionError) as error:
        raise ProtocolError(f"unreadable message: {error}") from None
    if not isinstance(message, dict) or not isinstance(message.get("_blobs"), list):
        raise ProtocolError("a message must be a JSON object with _blobs")
    blobs, at = [], header_length
    for n in message.pop("_blobs"):
        if not isinstance(n, int) or n < 0 or at + n > len(payload):
            raise ProtocolError("bad buffer lengths")
        blobs.append(payload[at:at + n])
        at += n
    return message, blobs


_TAGS = ("__array__", "__tuple__", "__set__", "__frozenset__", "__dict__", "__complex__",
         "__scalar__", "__bytes__", "__rng__", "__remote__", "__handle__", "__float__")


def encode(value, blobs: list[bytes], refer=None, depth: int = 0):
    """``value`` as JSON-able data; numeric arrays and bytes go to ``blobs``.

    ``refer(obj)`` is called for anything that is not data (functions, models, ...) and returns
    the JSON that stands for it; without it, such values raise TypeError.
    """
    import numpy as np

    if depth > 40:
        raise TypeError("data nested more than 40 levels deep")
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return value if value == value and abs(value) != float("inf") else {"__float__": repr(value)}
    if isinstance(value, complex):
        return {"__complex__": [value.real, value.imag]}
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return {"__scalar__": value.dtype.str, "value": encode(value.item(), blobs)}
    if isinstance(value, np.ndarray) and value.dtype.kind in "biufc":
        blobs.append(np.ascontiguousarray(value).tobytes())
        return {"__array__": len(blobs) - 1, "dtype": value.dtype.str, "shape": list(value.shape)}
    if isinstance(value, (bytes, bytearray)):
        blobs.append(bytes(value))
        return {"__bytes__": len(blobs) - 1}
    if isinstance(value, np.random.Generator):
        bits = value.bit_generator
        return {"__rng__": type(bits).__name__, "state": encode(bits.state, blobs, refer, depth + 1)}
    if isinstance(value, list):
        return [encode(v, blobs, refer, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [encode(v, blobs, refer, depth + 1) for v in value]}
    if isinstance(value, (set, frozenset)):
        tag = "__set__" if isinstance(value, set) else "__frozenset__"
        return {tag: [encode(v, blobs, refer, depth + 1) for v in value]}
    if isinstance(value, dict):
        return {"__dict__": [[encode(k, blobs, refer, depth + 1), encode(v, blobs, refer, depth + 1)]
                             for k, v in value.items()]}
    if refer is None:
        raise TypeError(f"cannot send a {type(value).__name__}")
    if hasattr(value, "__array__") and hasattr(value, "shape"):   # a tensor or a variable
        try:
            array = np.asarray(value)
        except Exception:                              # a symbolic tensor: send a proxy
            array = None
        if array is not None and array.dtype.kind in "biufc":
            return encode(array, blobs)
    return refer(value)


def decode(data, blobs: list[bytes], resolve=None, depth: int = 0):
    """The inverse of :func:`encode`. ``resolve(tag, data)`` rebuilds ``__remote__`` and
    ``__handle__`` references. Anything malformed raises :class:`ProtocolError`."""
    import numpy as np

    if depth > 42:
        raise ProtocolError("data nested too deeply")
    if data is None or isinstance(data, (bool, str, int, float)):
        return data
    if isinstance(data, list):
        return [decode(v, blobs, resolve, depth + 1) for v in data]
    if not isinstance(data, dict):
        raise ProtocolError(f"unexpected {type(data).__name__}")
    tags = [t for t in _TAGS if t in data]
    if len(tags) != 1:
        raise ProtocolError("unknown tagged value")
    tag = tags[0]
    body = data[tag]
    try:
        if tag == "__array__":
            dtype = np.dtype(data["dtype"])
            if dtype.kind not in "biufc":
                raise ProtocolError(f"arrays of dtype {dtype} are not accepted")
            shape = tuple(int(n) for n in data["shape"])
            return np.frombuffer(blobs[body], dtype=dtype).reshape(shape).copy()
        if tag == "__bytes__":
            return bytes(blobs[body])
        if tag == "__float__":
            return float(body) if body in ("nan", "inf", "-inf") else _bad("bad float")
        if tag == "__complex__":
            return complex(float(body[0]), float(body[1]))
        if tag == "__scalar__":
            dtype = np.dtype(body)
            if dtype.kind not in "biufc":
                raise ProtocolError(f"scalars of dtype {dtype} are not accepted")
            return dtype.type(decode(data["value"], blobs, resolve, depth + 1))
        if tag == "__tuple__":
            return tuple(decode(v, blobs, resolve, depth + 1) for v in body)
        if tag in ("__set__", "__frozenset__"):
            items = (decode(v, blobs, resolve, depth + 1) for v in body)
            return set(items) if tag == "__set__" else frozenset(items)
        if tag == "__dict__":
            return {decode(k, blobs, resolve, depth + 1): decode(v, blobs, resolve, depth + 1)
                    for k, v in body}
        if tag == "__rng__":
            if body not in ("PCG64", "PCG64DXSM", "Philox", "SFC64", "MT19937"):
                raise ProtocolError(f"unknown bit generator {body!r}")
            bits = getattr(np.random, body)()
            bits.state = decode(data["state"], blobs, resolve, depth + 1)
            return np.random.Generator(bits)
    except ProtocolError:
        raise
    except (TypeError, ValueError, KeyError, IndexError, OverflowError) as error:
        raise ProtocolError(f"malformed {tag}: {error}") from None
    if resolve is None:
        raise ProtocolError(f"unexpected {tag}")
    return resolve(tag, data)


def _bad(message):
    raise ProtocolError(message)


# ---------------------------------------------------------------------------------------------
# Confinement: resource limits, capabilities and Landlock (all unprivileged).

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
    """The Landlock ABI version of the running kernel, 0 if it has none (or this is not Linux)."""
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


def confine(config: dict) -> dict:
    """Apply the limits of ``config`` to this process, for good. Returns what was applied."""
    import resource

    limits, applied = config["limits"], {"landlock": 0, "limits": {}}
    wanted = [("RLIMIT_AS", limits.get("memory")), ("RLIMIT_FSIZE", limits.get("file_size")),
              ("RLIMIT_CORE", 0), ("RLIMIT_CPU", limits.get("cpu"))]
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
    import signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)      # a too-big file is an OSError, not a kill
    libc = _libc()
    if libc is not None:
        _drop_capabilities(libc)
        abi = landlock_abi()
        if abi >= 1:
            _landlock(libc, abi, config["read"], config["write"], config["devices"])
            applied["landlock"] = abi
    return applied


# ---------------------------------------------------------------------------------------------
# The worker (the student's side of the pipes)

class _GraderStub:
    """Stands for otter's ``grader`` in a submission: the public checks ran on the student's
    machine, the grader runs all tests itself."""

    def __getattr__(self, name):
        return lambda *args, **kwargs: None


class _CappedOutput:
    """``sys.stdout``/``sys.stderr`` of the worker: writes to the log file until ``limit`` bytes,
    then only counts, so that printing megabytes neither fails nor fills the disk."""

    encoding, errors, newlines = "utf-8", "replace", None

    def __init__(self, fd, counter, limit):
        self._fd, self._counter, self._limit = fd, counter, limit

    def write(self, text):
        data = str(text).encode("utf-8", "replace")
        kept = self._counter[0]
        self._counter[0] += len(data)
        if kept < self._limit:
            try:
                os.write(self._fd, data[:self._limit - kept])
            except OSError:
                pass
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def readable(self):
        return False

    def fileno(self):
        return self._fd


def _read_exact(fd, n):
    chunks = []
    while n:
        chunk = os.read(fd, min(n, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


class _Worker:
    def __init__(self, fd_in, fd_out):
        self.fd_in, self.fd_out = fd_in, fd_out
        self.handles: dict[int, object] = {}
        self.printed = [0]                              # bytes written to sys.stdout and stderr

    def send(self, message, blobs=()):
        data = frame(message, list(blobs))
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd_out, view):]

    def recv(self):
        size, header_length = _HEADER.unpack(_read_exact(self.fd_in, _HEADER.size))
        return unframe(_read_exact(self.fd_in, size), header_length)

    def refer(self, value):
        from .coursework import describe

        handle = len(self.handles) + 1
        self.handles[handle] = value
        try:
            description = describe(value)
        except Exception:                               # the student's object may misbehave
            description = None
        try:
            text = repr(value)[:300]
        except Exception:
            text = f"<{type(value).__name__}>"
        blobs, start = self._pending_blobs, len(self._pending_blobs)
        try:
            description = encode(description, blobs)
        except (TypeError, ValueError):
            description = None
            del blobs[start:]
        return {"__remote__": handle, "type": type(value).__name__[:80], "repr": text,
                "callable": callable(value), "description": description}

    def pack(self, value):
        """Encode ``value``; descriptions' buffers are appended after the value's own."""
        blobs: list[bytes] = []
        self._pending_blobs = blobs
        return encode(value, blobs, self.refer), blobs

    def resolve(self, tag, data):
        if tag == "__handle__" and data["__handle__"] in self.handles:
            return self.handles[data["__handle__"]]
        raise ProtocolError(f"unknown handle {data.get(tag)!r}")

    def run_cells(self, shell, cells):
        for index, source in cells:
            self.send({"event": "start", "cell": index})
            error = None
            try:
                result = shell.run_cell(source, store_history=False)
                failure = result.error_before_exec or result.error_in_exec
                if failure is not None:
                    error = _describe_error(failure)
            except BaseException as failure:            # noqa: BLE001 - report, keep serving
                error = _describe_error(failure)
            self.send({"event": "end", "cell": index, "error": error, "printed": self.printed[0]})
        self.send({"event": "ran", "printed": self.printed[0]})

    def answer(self, shell, request):
        reply = {"id": request.get("id")}
        op = request.get("op")
        try:
            if op == "get":
                name = request["name"]
                if name not in shell.user_ns:
                    return self.send(dict(reply, ok=True, defined=False))
                value = shell.user_ns[name]
            elif op == "call":
                target = (self.handles.get(request["handle"]) if "handle" in request
                          else shell.user_ns.get(request["name"]))
                args = decode(request["args"], self._blobs, self.resolve)
                kwargs = decode(request["kwargs"], self._blobs, self.resolve)
                value = target(*args, **kwargs)
            else:
                raise ProtocolError(f"unknown request {op!r}")
            data, blobs = self.pack(value)
        except BaseException as error:                  # noqa: BLE001 - the student's exception
            return self.send(dict(reply, ok=False, etype=type(error).__name__[:80],
                                  error=_message(error)))
        total = sum(len(b) for b in blobs)
        if total > MAX_MESSAGE // 2:
            return self.send(dict(reply, ok=False, etype="ValueError",
                                  error=f"the answer is too large to grade ({total >> 20} MB)"))
        self.send(dict(reply, ok=True, defined=True, value=data), blobs)

    def serve(self):
        shell = None
        while True:
            request, self._blobs = self.recv()
            if request.get("op") == "run":
                shell = _shell()
                self.run_cells(shell, request["cells"])
            elif request.get("op") == "bye":
                return
            else:
                self.answer(shell, request)


def _message(error, limit=600):
    try:
        text = str(error)
    except Exception:
        text = "(its message could not be shown)"
    return text if len(text) <= limit else text[:limit] + " …"


def _describe_error(error):
    return f"{type(error).__name__}: {_message(error)}".rstrip(": ")


def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    shell = InteractiveShell.instance(config=config)
    shell.ask_exit = lambda: None                       # exit() ends a cell, not the grading
    shell.user_ns["grader"] = _GraderStub()
    return shell


def _main(argv):
    fd_in, fd_out, config = int(argv[0]), int(argv[1]), json.loads(argv[2])
    for fd in (fd_in, fd_out):                          # not for programs the notebook starts
        os.set_inheritable(fd, False)
    worker = _Worker(fd_in, fd_out)
    try:
        applied = confine(config)
    except Exception as error:                          # refuse to run unconfined
        worker.send({"event": "hello", "error": _describe_error(error)})
        return 3
    worker.send({"event": "hello", "pid": os.getpid(), **applied})
    sys.stdout = _CappedOutput(1, worker.printed, _LOG_LIMIT)
    sys.stderr = _CappedOutput(2, worker.printed, _LOG_LIMIT)
    try:
        worker.serve()
    except EOFError:
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# The grader's side

class WorkerDied(Exception):
    """The worker process ended (or was stopped); ``str`` says how."""


class WorkerTimeout(Exception):
    """The worker did not answer in time (it has been stopped)."""


class Worker:
    """A confined worker process, started in ``work_dir`` with ``config`` (see :func:`confine`).

    Use :meth:`recv` and :meth:`send`; every wait has a deadline, after which the process group
    is killed.
    """

    def __init__(self, work_dir, config: dict, env: dict, log_path):
        import subprocess

        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        with open(log_path, "ab") as log:
            try:
                self.process = subprocess.Popen(
                    [sys.executable, "-I", "-B", "-m", "initlab.sandbox", str(req_r), str(resp_w),
                     json.dumps(config)],
                    cwd=work_dir, env=env, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, pass_fds=(req_r, resp_w), start_new_session=True)
            finally:
                os.close(req_r)
                os.close(resp_w)
        os.set_blocking(self._req_w, False)
        self.ended = None                               # why it ended, once it has

    def _read(self, n, deadline):
        chunks = []
        while n:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([self._resp_r], [], [], wait)[0]:
                raise self._stop(WorkerTimeout, "no answer in time")
            chunk = os.read(self._resp_r, min(n, 1 << 20))
            if not chunk:
                raise self._stop(WorkerDied, None)
            chunks.append(chunk)
            n -= len(chunk)
        return b"".join(chunks)

    def recv(self, timeout: float):
        """The next message (header dict, buffers), within ``timeout`` seconds."""
        if self.ended:
            raise WorkerDied(self.ended)
        deadline = time.monotonic() + timeout
        size, header_length = _HEADER.unpack(self._read(_HEADER.size, deadline))
        if size > MAX_MESSAGE or header_length > size:
            raise self._stop(WorkerDied, f"it sent a message of {size >> 20} MB, more than the "
                                         f"{MAX_MESSAGE >> 20} MB allowed")
        try:
            return unframe(self._read(size, deadline), header_length)
        except ProtocolError as error:
            raise self._stop(WorkerDied, f"it sent an invalid message ({error})") from None

    def send(self, message: dict, blobs=(), timeout: float = 30):
        if self.ended:
            raise WorkerDied(self.ended)
        view, deadline = memoryview(frame(message, list(blobs))), time.monotonic() + timeout
        while view:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([], [self._req_w], [], wait)[1]:
                raise self._stop(WorkerTimeout, "it did not read its requests")
            try:
                view = view[os.write(self._req_w, view):]
            except BrokenPipeError:
                raise self._stop(WorkerDied, None) from None

    def _stop(self, kind, reason):
        self.kill()
        if reason is None:
            reason = exit_reason(self.process.returncode)
        self.ended = reason
        return kind(reason)

    def _exited(self) -> bool:
        """Whether the worker has ended, *without* reaping it: while it is unreaped its pid, which
        is also its process group's id, cannot be reused, so :meth:`kill` can signal the group."""
        if self.process.returncode is not None:
            return True
        try:
            return os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
        except ChildProcessError:
            return True

    def kill(self):
        """Kill the worker and every process it started in its process group (even once the worker
        itself has exited), then reap it."""
        import signal

        if self.process.returncode is None:             # not reaped yet: the group id is still ours
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                self.process.kill()
        try:
            self.process.wait(timeout=30)
        except Exception:                               # pragma: no cover - a stuck zombie
            pass

    def close(self):
        if not self._exited() and not self.ended:
            try:
                self.send({"op": "bye"}, timeout=2)
                deadline = time.monotonic() + 2
                while not self._exited() and time.monotonic() < deadline:
                    time.sleep(0.01)
            except Exception:
                pass
        self.kill()
        for fd in (self._req_w, self._resp_r):
            try:
                os.close(fd)
            except OSError:
                pass


class RemoteObject:
    """A value that stayed in the worker: its type name, repr and description, and a handle.

    Instances of ``RemoteCallable`` can be called; the call runs in the worker. Each proxy
    class is named after the remote type, so a message can say "got Sequential".
    """

    def __init__(self, client, handle, generation, name, type_name, text, description):
        self._client, self._handle, self._generation = client, handle, generation
        self.name, self.type_name, self._text, self.description = name, type_name, text, description

    def __repr__(self):
        return self._text


class RemoteCallable(RemoteObject):
    def __call__(self, *args, **kwargs):
        return self._client.call(self, args, kwargs)


_PROXY_CLASSES: dict = {}


def remote_object(client, data: dict, generation: int, name, description) -> RemoteObject:
    """The proxy for a ``__remote__`` reference sent by a worker."""
    type_name = data.get("type") if isinstance(data.get("type"), str) else "object"
    type_name = "".join(c for c in type_name if c.isalnum() or c == "_")[:80] or "object"
    base = RemoteCallable if data.get("callable") is True else RemoteObject
    cls = _PROXY_CLASSES.get((type_name, base))
    if cls is None:
        cls = _PROXY_CLASSES[type_name, base] = type(type_name, (base,), {"__module__": __name__})
    text = data.get("repr") if isinstance(data.get("repr"), str) else f"<{type_name}>"
    if not isinstance(data.get("__remote__"), int):
        raise ProtocolError("bad remote handle")
    return cls(client, data["__remote__"], generation, name, type_name, text[:300], description)


def exit_reason(code) -> str:
    """Why a worker with exit status ``code`` ended, in words for the student."""
    import signal

    if code is None:
        return "it was stopped"
    if code >= 0:
        return f"the process exited with status {code} (os._exit, or a crash in compiled code)"
    sig = -code
    if sig == signal.SIGXCPU:
        return "it used up its CPU-time limit"
    if sig == signal.SIGKILL:
        return "it was killed (the time limit, or the system ran out of memory)"
    try:
        name = signal.Signals(sig).name
    except ValueError:
        name = f"signal {sig}"
    return f"it crashed ({name})"


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))

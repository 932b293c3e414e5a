"""Run a student's notebook in a confined worker process, and call into it from the grader.

``initlab.course.grading`` never runs a submission's code in its own process, and a submission
never sees a test. A *worker* is ``python -I -B -m initlab.course.sandbox`` in a folder of its own,
inside a bubblewrap container when ``bwrap`` is installed (see :mod:`initlab.course.confine`):

1. Before it reads anything of the submission it confines itself (:func:`confine.confine`):
   resource limits, an unprivileged user of its own when the grader is root, no capabilities, and
   Landlock. Then it says ``hello`` and reports what it got.
2. It runs the notebook's code cells one by one in an IPython shell, reporting when each cell
   starts and ends (with the error, if any). Output goes to a log the grader holds open, never
   to a path the student controls.
3. It answers requests: the value of a name, or a call of a function with arguments.

Values cross the pipes in the format of :mod:`initlab.course.protocol`. Functions and other
objects stay in the worker, and the grader gets a proxy (:class:`RemoteObject`) that carries the
object's type name, its repr, a description (for Keras models, layers and initializers, checked
by :func:`protocol.description`) and, if the object is callable, calls it remotely.

The worker is the student's: after the first cell, everything it sends is untrusted data. The
grader bounds every wait by a timeout, every message by :data:`protocol.MAX_MESSAGE` bytes, and
notices a worker's end by its process (a pidfd), not by the end of a pipe that a leftover child
may hold open.
"""

from __future__ import annotations

import json
import os
import select
import sys
import tempfile
import time

from . import confine as _confine
from .protocol import HEADER, MAX_MESSAGE, ProtocolError, decode, encode, frame, read_exact, unframe

__all__ = ["LOG_LIMIT", "Worker", "WorkerDied", "WorkerTimeout", "RemoteObject", "RemoteCallable",
           "remote_object", "exit_reason"]

LOG_LIMIT = 2 << 20              # bytes of a worker's printed output kept in its log



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
        size, header_length = HEADER.unpack(read_exact(self.fd_in, HEADER.size))
        return unframe(read_exact(self.fd_in, size), header_length)

    def refer(self, value):
        from ..coursework import describe

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
            except BaseException as failure:
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
        except BaseException as error:
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
        applied = _confine.confine(config)
    except Exception as error:                          # refuse to run unconfined
        worker.send({"event": "hello", "error": _describe_error(error)})
        return 3
    worker.send({"event": "hello", "pid": os.getpid(), **applied})
    sys.stdout = _CappedOutput(1, worker.printed, LOG_LIMIT)
    sys.stderr = _CappedOutput(2, worker.printed, LOG_LIMIT)
    try:
        worker.serve()
    except EOFError:
        pass
    return 0


# ---------------------------------------------------------------------------------------------
# The grader's side

class WorkerDied(Exception):
    """The worker process ended (or was stopped); ``str`` says how.

    Examples
    --------
    >>> import tempfile
    >>> from initlab.course.grading import sandbox_paths
    >>> work, log = tempfile.mkdtemp(), tempfile.TemporaryFile()
    >>> config = {"limits": {"cpu": 60}, "write": [work], **sandbox_paths([])}
    >>> worker = Worker(work, config, {"PATH": "/usr/bin", "HOME": work}, log.fileno())
    >>> worker.kill()
    >>> worker.recv(timeout=10)
    Traceback (most recent call last):
    ...
    initlab.course.sandbox.WorkerDied: it was killed (the time limit, or the system ran out of memory)
    >>> worker.close(), log.close()
    (None, None)
    """


class WorkerTimeout(Exception):
    """The worker did not answer in time (it has been stopped).

    Examples
    --------
    After its ``hello`` a worker waits for requests, so a second message never comes:

    >>> import tempfile
    >>> from initlab.course.grading import sandbox_paths
    >>> work, log = tempfile.mkdtemp(), tempfile.TemporaryFile()
    >>> config = {"limits": {"cpu": 60}, "write": [work], **sandbox_paths([])}
    >>> worker = Worker(work, config, {"PATH": "/usr/bin", "HOME": work}, log.fileno())
    >>> hello, _ = worker.recv(timeout=60)
    >>> worker.recv(timeout=0.5)
    Traceback (most recent call last):
    ...
    initlab.course.sandbox.WorkerTimeout: no answer in time
    >>> worker.close(), log.close()
    (None, None)
    """


class Worker:
    """A confined worker process and the grader's ends of its pipes.

    ``config`` goes to :func:`confine.confine`; ``env`` is the worker's whole environment;
    ``log_fd`` (a file the grader opened, never a path in ``work``) receives its output. With
    ``bwrap`` (the program's path) the worker runs in a container whose only writable folder is
    ``work``. Use :meth:`recv` and :meth:`send`: every wait has a deadline, after which the
    worker and everything it started are killed.

    Examples
    --------
    A worker without a container (``bwrap=None``) confines itself, then says hello:

    >>> import tempfile
    >>> from initlab.course.grading import sandbox_paths
    >>> work, log = tempfile.mkdtemp(), tempfile.TemporaryFile()
    >>> config = {"limits": {"cpu": 60}, "write": [work], **sandbox_paths([])}
    >>> worker = Worker(work, config, {"PATH": "/usr/bin", "HOME": work}, log.fileno())
    >>> hello, _ = worker.recv(timeout=60)
    >>> hello["event"], hello["limits"]["RLIMIT_CPU"]
    ('hello', 60)
    >>> worker.close(), log.close()
    (None, None)
    """

    def __init__(self, work, config: dict, env: dict, log_fd: int, bwrap=None, uid=None):
        import subprocess

        req_r, self._req_w = os.pipe()
        self._resp_r, resp_w = os.pipe()
        self.uid, self.bwrap = uid, bwrap
        command = [sys.executable, "-I", "-B", "-m", "initlab.course.sandbox", str(req_r),
                   str(resp_w), json.dumps(config)]
        fds, args_file = (req_r, resp_w), None
        try:
            if bwrap:                                   # options through a file: not in /proc
                args_file = tempfile.TemporaryFile()
                args_file.write("\0".join(_confine.bwrap_args(config["read"], str(work),
                                                               uid is not None)).encode() + b"\0")
                args_file.flush()
                args_file.seek(0)
                fds += (args_file.fileno(),)
                command = [bwrap, "--args", str(args_file.fileno()), "--", *command]
            self.process = subprocess.Popen(
                command, cwd=work, env=env, stdin=subprocess.DEVNULL, stdout=log_fd,
                stderr=subprocess.STDOUT, pass_fds=fds, start_new_session=True)
        finally:
            for fd in (req_r, resp_w):
                os.close(fd)
            if args_file is not None:
                args_file.close()
        self._pidfd = os.pidfd_open(self.process.pid)
        os.set_blocking(self._req_w, False)
        self.ended = None                               # why it ended, once it has

    def _read(self, n, deadline):
        chunks = []
        while n:
            wait = deadline - time.monotonic()
            ready = select.select([self._resp_r, self._pidfd], [], [], max(wait, 0))[0] if wait > 0 else []
            if not ready:
                raise self._stop(WorkerTimeout, "no answer in time")
            if self._resp_r not in ready and not select.select([self._resp_r], [], [], 0)[0]:
                raise self._stop(WorkerDied, None)      # the process ended, whoever holds the pipe
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
        size, header_length = HEADER.unpack(self._read(HEADER.size, deadline))
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
            reason = exit_reason(self._status)
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

    @property
    def _status(self):
        """The worker's exit status: bubblewrap reports a signal that killed it as 128 + signal."""
        code = self.process.returncode
        return 128 - code if self.bwrap and code is not None and 129 <= code < 129 + 64 else code

    def kill(self):
        """Kill the worker and every process it started (even once the worker itself has
        exited), then reap it: its process group; with bubblewrap, its PID namespace, whose
        processes all die with the container; with a user of its own, every process of that
        user, ``setsid`` children included."""
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
        if self.uid is not None:
            _confine.kill_user(self.uid)

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
        for fd in (self._req_w, self._resp_r, self._pidfd):
            try:
                os.close(fd)
            except OSError:
                pass


class RemoteObject:
    """A value that stayed in the worker: its type name, repr and description, and a handle.

    Instances of ``RemoteCallable`` can be called; the call runs in the worker. Each proxy
    class is named after the remote type, so a message can say "got Sequential".

    Examples
    --------
    >>> model = remote_object(None, {"__remote__": 3, "type": "Sequential", "repr": "<Sequential>"},
    ...                       1, "model", None)
    >>> model, type(model).__name__, isinstance(model, RemoteCallable)
    (<Sequential>, 'Sequential', False)
    """

    def __init__(self, client, handle, generation, name, type_name, text, description):
        self._client, self._handle, self._generation = client, handle, generation
        self.name, self.type_name, self._text, self.description = name, type_name, text, description

    def __repr__(self):
        return self._text


class RemoteCallable(RemoteObject):
    """A :class:`RemoteObject` that can be called: the call runs in the worker, through the
    grader's client.

    >>> class Client:                     # the grader's side: sends the call to the worker
    ...     def call(self, proxy, args, kwargs):
    ...         return f"{proxy.name}{args} ran in the worker"
    >>> he_std = remote_object(Client(), {"__remote__": 7, "type": "function", "callable": True},
    ...                        1, "he_std", None)
    >>> he_std((300, 200))
    'he_std((300, 200),) ran in the worker'
    """

    def __call__(self, *args, **kwargs):
        return self._client.call(self, args, kwargs)


_PROXY_CLASSES: dict = {}


def remote_object(client, data: dict, generation: int, name, description) -> RemoteObject:
    """The proxy for a ``__remote__`` reference sent by a worker.

    Examples
    --------
    >>> f = remote_object(None, {"__remote__": 7, "type": "function", "callable": True}, 1, "he_std", None)
    >>> f, f.type_name, isinstance(f, RemoteCallable)
    (<function>, 'function', True)
    """
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
    """Why a worker with exit status ``code`` ended, in words for the student.

    Examples
    --------
    >>> exit_reason(-9)
    'it was killed (the time limit, or the system ran out of memory)'
    >>> exit_reason(-24)
    'it used up its CPU-time limit'
    """
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

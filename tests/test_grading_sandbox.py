"""The worker's view from inside: no process of the grader, no grader path, its own user, no
network; and what the grader says when bubblewrap is missing."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

from initlab.course import confine, grading

ISOLATION = grading.choose_isolation(allow_unsandboxed=True)

needs_bwrap = pytest.mark.skipif(ISOLATION.bwrap is None and not os.environ.get("CI"),
                                 reason="bubblewrap is not installed (CI installs it)")

PROBE = """
import os, socket
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
seen = b" ".join(open(f"/proc/{p}/cmdline", "rb").read() for p in pids)
uid = os.getuid()
try:
    socket.create_connection(("1.1.1.1", 53), timeout=2)
    network = True
except OSError:
    network = False
"""


@needs_bwrap
def test_a_worker_sees_only_itself():
    work = Path(tempfile.mkdtemp(prefix="initlab-test-grade-"))
    uid = grading._take_uid() if ISOLATION.own_users else None
    try:
        (work / "tmp").mkdir()
        if uid is not None:
            os.chmod(work, 0o711)
            for entry in (work, work / "tmp"):
                os.lchown(entry, uid, uid)
        session = grading.Session([(1, PROBE)], work, grading.Limits(), grading.sandbox_paths([]),
                                  ISOLATION, uid)
        try:
            pids, seen = session.get("pids"), session.get("seen")
            assert len(pids) <= 3, pids                       # bwrap's init, the worker, at most one more
            assert str(work).encode() not in seen and b"pytest" not in seen, seen   # nor the grader
            assert session.get("network") is False
            if uid is not None:
                assert session.get("uid") == uid != 0
        finally:
            session.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
        grading._give_uid(uid)
    assert uid is None or not confine.pids_of(uid)


def test_without_bubblewrap_the_grader_says_so(monkeypatch):
    monkeypatch.setattr(confine, "bwrap_path", lambda: None)
    said = []
    chosen = grading.choose_isolation(allow_unsandboxed=True, warn=said.append)
    assert chosen.bwrap is None and "bubblewrap (bwrap) is not installed" in said[0]
    assert "apt-get install bubblewrap" in said[0]
    with pytest.raises(SystemExit, match="--require-bwrap"):
        grading.choose_isolation(require_bwrap=True)
    monkeypatch.setattr(confine, "landlock_abi", lambda: 0)
    with pytest.raises(SystemExit, match="--allow-unsandboxed"):
        grading.choose_isolation()


def test_reads_below_tmp_are_bound_after_the_private_tmp(tmp_path):
    """A checkout (and its .venv) under /tmp must stay visible to the worker: bwrap mounts in
    order, so the private /tmp comes first and the read-only binds below it after."""
    args = confine.bwrap_args([str(tmp_path)], str(tmp_path / "work"), drop_user=False)
    tmpfs = args.index("--tmpfs")
    assert args[tmpfs + 1] == "/tmp"
    bind = next(i for i in range(len(args) - 2) if args[i] == "--ro-bind" and args[i + 1] == str(tmp_path))
    assert tmpfs < bind

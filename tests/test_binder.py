"""Binder, without Docker: the configuration Binder uses, served by a real Jupyter server.

Binder installs requirements.txt (which installs initlab), runs ``postBuild`` and starts
JupyterLab. This test runs the same ``postBuild`` in the test environment, starts JupyterLab, asks
its contents API for every chapter as a notebook, checks that ``.md`` files open with jupytext's
notebook viewer by default, then runs one chapter through a kernel of that server and saves it back.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil
import pytest
import requests
import websocket

from _book import ROOT, notebooks, venv_bin

TOKEN = uuid.uuid4().hex
BINDER_MEMORY_LIMIT = 2 * 1024**3


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    subprocess.run(["bash", str(ROOT / "postBuild")], cwd=ROOT, env=env, check=True)
    home = tmp_path_factory.mktemp("binder-home")
    env.update(HOME=str(home), JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), JUPYTER_DATA_DIR=str(home / "data"))
    port, log = _free_port(), home / "jupyter.log"
    with open(log, "w") as log_file:
        proc = subprocess.Popen(
            [venv_bin("jupyter"), "lab", "--no-browser", f"--port={port}", "--ip=127.0.0.1",
             f"--IdentityProvider.token={TOKEN}", f"--ServerApp.root_dir={ROOT}",
             *(["--allow-root"] if os.geteuid() == 0 else [])],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    for _ in range(120):
        if proc.poll() is not None:
            break
        try:
            if requests.get(f"{url}/api/status", headers=_auth(), timeout=2).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("JupyterLab did not start:\n" + log.read_text(encoding="utf-8")[-3000:])
    yield url, proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _auth():
    return {"Authorization": f"token {TOKEN}"}


def test_binder_files_pin_python_and_install_the_package():
    assert (ROOT / "runtime.txt").read_text(encoding="utf-8").strip() == "python-3.11"
    requirements = (ROOT / "requirements.txt").read_text(encoding="utf-8").splitlines()
    assert "-e ." in requirements, "Binder must install initlab from requirements.txt"
    assert any(r.startswith("jupytext") for r in requirements)
    assert any(r.startswith("jupyterlab-myst") for r in requirements), "the chapters' MyST needs jupyterlab-myst"
    assert os.access(ROOT / "postBuild", os.X_OK)


@pytest.mark.parametrize("doc", notebooks())
def test_every_chapter_opens_as_a_notebook(server, doc):
    url, _ = server
    r = requests.get(f"{url}/api/contents/{doc}.md", params={"type": "notebook", "content": 1},
                     headers=_auth(), timeout=30)
    assert r.ok, r.text[:500]
    model = r.json()
    assert model["type"] == "notebook"
    cells = model["content"]["cells"]
    n_code = (ROOT / f"{doc}.md").read_text(encoding="utf-8").count("```{code-cell}")
    assert sum(c["cell_type"] == "code" for c in cells) == n_code
    assert model["content"]["metadata"]["kernelspec"]["name"] == "python3"


def test_markdown_opens_with_jupytext_by_default(server):
    url, _ = server
    r = requests.get(f"{url}/lab/api/settings/@jupyterlab/docmanager-extension:plugin",
                     headers=_auth(), timeout=30)
    assert r.ok, r.text[:500]
    viewers = r.json()["schema"]["properties"]["defaultViewers"]["default"]
    assert viewers.get("markdown") == "Jupytext Notebook"
    assert viewers.get("myst") == "Jupytext Notebook"


def _decode(raw) -> dict:
    """A websocket frame as a message dict. Messages with binary buffers (a widget's PNG, say)
    come as Jupyter's binary frame: n (4 bytes), n offsets (4 bytes each), the JSON at offsets[0]."""
    if isinstance(raw, str):
        return json.loads(raw)
    n = int.from_bytes(raw[:4], "big")
    offsets = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(n)]
    return json.loads(raw[offsets[0]:offsets[1] if n > 1 else None])


def _execute(url: str, kernel_id: str, code: str) -> tuple[list[dict], int | None]:
    """Run one cell on the server's kernel over its websocket; return nbformat outputs."""
    ws = websocket.create_connection(
        f"{url.replace('http', 'ws')}/api/kernels/{kernel_id}/channels?token={TOKEN}", timeout=600)
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({
        "header": {"msg_id": msg_id, "username": "test", "session": uuid.uuid4().hex,
                   "msg_type": "execute_request", "version": "5.3"},
        "parent_header": {}, "metadata": {}, "channel": "shell",
        "content": {"code": code, "silent": False, "store_history": True,
                    "user_expressions": {}, "allow_stdin": False, "stop_on_error": True}}))
    outputs, count = [], None
    try:
        while True:
            msg = _decode(ws.recv())
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                outputs.append({"output_type": "stream", "name": content["name"], "text": content["text"]})
            elif kind in ("display_data", "execute_result"):
                outputs.append({"output_type": kind, "data": content["data"], "metadata": content["metadata"],
                                **({"execution_count": content["execution_count"]}
                                   if kind == "execute_result" else {})})
            elif kind == "error":
                outputs.append({"output_type": "error", "ename": content["ename"],
                                "evalue": content["evalue"], "traceback": content["traceback"]})
            elif kind == "execute_input":
                count = content["execution_count"]
            elif kind == "status" and content["execution_state"] == "idle":
                return outputs, count
    finally:
        ws.close()


def test_a_chapter_runs_through_the_servers_kernel(server):
    url, proc = server
    doc = notebooks()[0]
    nb = requests.get(f"{url}/api/contents/{doc}.md", params={"type": "notebook", "content": 1},
                      headers=_auth(), timeout=30).json()["content"]
    kernel = requests.post(f"{url}/api/kernels", json={"name": "python3"}, headers=_auth(), timeout=60).json()
    peak = 0
    try:
        for cell in nb["cells"]:
            if cell["cell_type"] != "code":
                continue
            cell["outputs"], cell["execution_count"] = _execute(url, kernel["id"], cell["source"])
            errors = [o for o in cell["outputs"] if o["output_type"] == "error"]
            assert not errors, f"{doc}: {errors[0]['ename']}: {errors[0]['evalue']}"
            peak = max(peak, max((c.memory_info().rss for c in psutil.Process(proc.pid).children(recursive=True)),
                                 default=0))
    finally:
        requests.delete(f"{url}/api/kernels/{kernel['id']}", headers=_auth(), timeout=30)
    assert peak < BINDER_MEMORY_LIMIT * 0.75, f"kernel used {peak / 2**30:.2f} GB"

    # Save the executed notebook through the contents API and read it back.
    target = f"_build/binder-check/{Path(doc).name}.ipynb"
    requests.put(f"{url}/api/contents/_build", json={"type": "directory"}, headers=_auth(), timeout=30)
    requests.put(f"{url}/api/contents/_build/binder-check", json={"type": "directory"}, headers=_auth(), timeout=30)
    r = requests.put(f"{url}/api/contents/{target}", json={"type": "notebook", "format": "json", "content": nb},
                     headers=_auth(), timeout=30)
    assert r.ok, r.text[:500]
    back = requests.get(f"{url}/api/contents/{target}", params={"content": 1}, headers=_auth(), timeout=30).json()
    code = [c for c in back["content"]["cells"] if c["cell_type"] == "code"]
    assert code and all(c["execution_count"] for c in code), "a cell came back unexecuted"
    assert any("image/png" in o.get("data", {}) for c in code for o in c["outputs"]), "no figure came back"


def test_jupyterlab_starts_quiet(server):
    """No "get notified about official Jupyter news?" popup, no update check (postBuild)."""
    url, _ = server
    r = requests.get(f"{url}/lab/api/settings/@jupyterlab/apputils-extension:notification",
                     headers=_auth(), timeout=30)
    assert r.ok, r.text[:500]
    schema = r.json()["schema"]["properties"]
    assert schema["fetchNews"]["default"] == "false"
    assert schema["checkForUpdates"]["default"] is False


def test_make_lab_starts_as_root_and_as_a_user():
    """JupyterLab refuses root without --allow-root; make lab passes it exactly when root."""
    out = subprocess.run(["make", "-n", "lab"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    command = [line for line in out.splitlines() if "jupyter lab" in line]
    assert command, out
    assert ("--allow-root" in command[-1]) == (os.geteuid() == 0), command[-1]


@pytest.mark.parametrize("doc", notebooks())
def test_opening_running_and_saving_a_chapter_changes_nothing(server, doc):
    """JupyterLab saves what it read plus what running adds: the kernel's display name and
    language_info, and jupyterlab-myst's evaluated expressions on Markdown cells. The pinned
    jupytext header must write all that back as the same bytes."""
    url, _ = server
    original = (ROOT / f"{doc}.md").read_bytes()
    nb = requests.get(f"{url}/api/contents/{doc}.md", params={"type": "notebook", "content": 1},
                      headers=_auth(), timeout=30).json()["content"]
    spec = requests.get(f"{url}/api/kernelspecs", headers=_auth(), timeout=30).json()["kernelspecs"]["python3"]
    nb["metadata"]["kernelspec"]["display_name"] = spec["spec"]["display_name"]
    nb["metadata"]["language_info"] = {"name": "python", "version": sys.version.split()[0]}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown" and "{eval}" in "".join(cell["source"]):
            cell["metadata"]["user_expressions"] = [{"expression": "x", "result": {"status": "ok"}}]
        if cell["cell_type"] == "code":
            cell["execution_count"] = 1
            cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": "ran\n"}]
    target = f"_build/binder-check/{Path(doc).name}.md"
    for folder in ("_build", "_build/binder-check"):
        requests.put(f"{url}/api/contents/{folder}", json={"type": "directory"}, headers=_auth(), timeout=30)
    r = requests.put(f"{url}/api/contents/{target}", json={"type": "notebook", "format": "json", "content": nb},
                     headers=_auth(), timeout=30)
    assert r.ok, r.text[:500]
    assert (ROOT / target).read_bytes() == original, f"{doc}: saving changed the file"

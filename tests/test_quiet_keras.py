"""TensorFlow loads silently on every x86-64 CPU, and real errors still show.

On CPUs with AVX-512 VNNI or AMX, TensorFlow switches oneDNN on by default and announces it on file
descriptor 2 while it loads, below Python's logging. ``TF_ENABLE_ONEDNN_OPTS=1`` forces the same
announcement on any x86-64 CPU, so these tests reproduce that machine wherever they run: first they
check that the forced notices really appear when TensorFlow is imported plainly, then that the
course's public paths write nothing to stderr, with oneDNN on and off.
"""

import os
import platform
import subprocess
import sys

import pytest

from initlab import quiet_keras

_TF_VARS = ("TF_CPP_MIN_LOG_LEVEL", "KERAS_BACKEND", "TF_ENABLE_ONEDNN_OPTS")


def _run(code, onednn):
    """Run ``code`` in a fresh interpreter with no TensorFlow settings but ``TF_ENABLE_ONEDNN_OPTS``."""
    env = {k: v for k, v in os.environ.items() if k not in _TF_VARS}
    if onednn is not None:
        env["TF_ENABLE_ONEDNN_OPTS"] = onednn
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          timeout=300)


@pytest.mark.skipif(platform.machine() not in ("x86_64", "AMD64"),
                    reason="TF_ENABLE_ONEDNN_OPTS=1 announces oneDNN on x86-64 builds")
def test_forcing_onednn_makes_plain_tensorflow_noisy():
    """The control: without the course's loader, the forced notices do reach stderr, even with
    ``TF_CPP_MIN_LOG_LEVEL=3``. Without this, the quiet tests below could pass vacuously."""
    out = _run("import os; os.environ['TF_CPP_MIN_LOG_LEVEL'] = '3'; import tensorflow", "1")
    assert out.returncode == 0, out.stderr
    noisy = [line for line in out.stderr.splitlines() if line.strip()]
    assert noisy and all(quiet_keras.is_notice(line) for line in noisy), out.stderr
    assert any("oneDNN custom operations are on" in line for line in noisy)


@pytest.mark.parametrize("onednn", ["1", "0", None], ids=["onednn-on", "onednn-off", "unset"])
def test_public_training_path_is_silent(onednn):
    """``data.load("digits")`` then ``training.train(...)`` prints nothing, on stdout or stderr."""
    code = "\n".join([
        "from initlab import data, training",
        "digits = data.load('digits')",
        "run = training.train(digits, depth=2, width=16, epochs=1, activation='tanh')",
        "assert run.history['loss']",
    ])
    out = _run(code, onednn)
    assert (out.returncode, out.stdout, out.stderr) == (0, "", "")


def test_onednn_is_off_unless_asked_for():
    """The loader sets ``TF_ENABLE_ONEDNN_OPTS=0`` by default and respects an explicit choice."""
    code = ("import os; from initlab.quiet_keras import import_keras; import_keras(); "
            "print(os.environ['TF_ENABLE_ONEDNN_OPTS'])")
    assert _run(code, None).stdout.strip() == "0"
    assert _run(code, "1").stdout.strip() == "1"


def test_real_errors_still_reach_stderr():
    """Only known notices are dropped: any other line written to fd 2 during loading is kept,
    in order, and fd 2 works again afterwards."""
    code = "\n".join([
        "import os, sys",
        "from initlab import quiet_keras",
        "with quiet_keras._fd2_filtered():",
        "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are "
        "written to STDERR\\n')",
        "    os.write(2, b'I0000 00:00:1.5 42 port.cc:153] oneDNN custom operations are on.\\n')",
        "    os.write(2, b'E0000 00:00:1.5 42 loader.cc:9] could not load libfoo.so\\n')",
        "    os.write(2, b'a real problem\\n')",
        "os.write(2, b'after\\n')",
    ])
    out = _run(code, None)
    assert out.returncode == 0
    assert out.stderr.splitlines() == ["E0000 00:00:1.5 42 loader.cc:9] could not load libfoo.so",
                                       "a real problem", "after"]


@pytest.mark.parametrize("line", [
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR",
    "I0000 00:00:1796497985.877358    4565 port.cc:153] oneDNN custom operations are on. You may "
    "see slightly different numerical results due to floating-point round-off errors.",
    "I0000 00:00:1796497985.917305    4565 cpu_feature_guard.cc:227] This TensorFlow binary is "
    "optimized to use available CPU instructions in performance-critical operations.",
    "To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow with "
    "the appropriate compiler flags.",
])
def test_known_notices(line):
    assert quiet_keras.is_notice(line)


@pytest.mark.parametrize("line", [
    "Traceback (most recent call last):",
    "E0000 00:00:1.5 42 port.cc:153] Segmentation fault",
    "I0000 00:00:1.5 42 port.cc:153] something else entirely",
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR, and more",
])
def test_other_lines_are_not_notices(line):
    assert not quiet_keras.is_notice(line)


def test_onednn_bench_runs():
    """``make bench``'s oneDNN comparison works end to end (one run per setting)."""
    from _book import ROOT

    out = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_onednn.py"), "--repeats", "1"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stderr == "", out.stderr
    row = out.stdout.strip().splitlines()[-1].strip("|").split("|")
    on, off, ratio = (cell.split()[0] for cell in row)
    assert float(ratio) == pytest.approx(float(off) / float(on), abs=0.02)

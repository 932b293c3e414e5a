"""The instructor's toolkit (``initlab.course``) stays out of a learner's kernel: no learner-facing
module imports it, even inside a function, and importing every learner module and calling every
exercise check, in a fresh interpreter, loads nothing from it."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import initlab

PACKAGE = Path(initlab.__file__).parent
LEARNER = sorted(p for p in PACKAGE.glob("*.py"))        # every module outside initlab/course/

#: One call of every exercise check, with arguments of the right kinds (right or wrong answers
#: alike: each call runs the check's code, including its reading of Keras objects).
CALLS = """
from initlab import checks
f = lambda *args, **kwargs: 0.1
calls = {
    "check_std": (f,), "check_sampler": (lambda shape, rng: rng.normal(0, 0.1, shape),),
    "check_fans": (lambda shape: (1, 2),), "check_signal_after": (f,),
    "check_heuristic_width": (f,), "check_which_params_learn": ({"b2"}, "relu"),
    "check_relu_moments": ((0.5, 0.34),), "check_linear_std_ratio": (f,),
    "check_linear_grad_ratio": (f,), "check_uniform_variance_factor": (f,),
    "check_selu_fixed_point": ((0.0, 1.0),), "check_selu_scale": (1.0,), "check_leaky_gain": (f,),
    "check_leaky_he_drift": (2.6, 0.2, 50),
    "check_vanish_depth": (3, 100, 0.01), "check_layer_stds": ([0.1], [4, 3], "relu"),
    "check_keras_model": (lambda widths, activation: object(),),
    "check_keras_defaults": ("not a dict",),
    "check_seed_reuse": (lambda width, seed: object(), lambda width, seed: object()),
    "check_variance_scaling": (lambda shape: __import__("numpy").zeros(shape), "he_normal"),
    "check_pytorch_default": (lambda shape: __import__("numpy").zeros(shape),),
    "check_choice": ("he_normal", "relu"), "check_edge_of_chaos": (1.0,), "check_lsuv": (f,),
    "check_attention_logit_std": (f,), "check_residual_std": (f,), "check_prior_bias": (f,),
    "check_chrono_bias": (f,), "check_diagnosis": (None,),
}
names = [n for n in checks.__all__ if n.startswith("check_")]
missing = sorted(set(names) - set(calls))
results = {n: type(getattr(checks, n)(*calls[n])).__name__ for n in names if n in calls}
"""


def test_learner_modules_never_import_the_toolkit():
    """Imports at any depth (inside functions too) of every learner module, read from its source."""
    offenders = []
    for path in LEARNER:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")] + \
                        [f"{'.' * node.level}{node.module or ''}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            else:
                continue
            if any(n.replace("initlab.", ".").lstrip(".").split(".")[0] == "course"
                   and (n.startswith(".") or n.startswith("initlab.")) for n in names):
                offenders.append(f"{path.name}:{node.lineno}")
    assert not offenders, f"learner modules importing initlab.course: {offenders}"


def test_learner_kernel_loads_nothing_of_the_toolkit():
    modules = [f"initlab.{p.stem}" for p in LEARNER if p.stem != "__init__"]
    script = "\n".join([
        "import importlib, json, sys",
        f"for name in {modules!r}:",
        "    importlib.import_module(name)",
        CALLS,
        "loaded = sorted(m for m in sys.modules if m == 'initlab.course' or m.startswith('initlab.course.'))",
        "print(json.dumps({'missing': missing, 'results': results, 'loaded': loaded}))",
    ])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600,
                          env={"MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert not report["missing"], f"add a call of each new check to CALLS: {report['missing']}"
    assert set(report["results"].values()) == {"Feedback"}, report["results"]
    assert len(report["results"]) >= 20
    assert report["loaded"] == [], f"a learner's kernel loaded {report['loaded']}"


def test_toolkit_and_coursework_have_no_import_cycle():
    """``coursework`` imports nothing of the toolkit, so the toolkit's use of it (the worker
    describes Keras objects with it) cannot close a cycle."""
    tree = ast.parse((PACKAGE / "coursework.py").read_text(encoding="utf-8"))
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.level] + \
               [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    assert not [m for m in imported if m.split(".")[0] in ("course", "initlab")], imported

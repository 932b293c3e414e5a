"""The training explorer: controls, the train button, the figure and the kernel-free twin, driven
without a browser. Most tests use synthetic TrainingRun objects (no TensorFlow); one trains for
real, with a tiny network, to check the wiring to initlab.training."""

from __future__ import annotations

import base64
import json
import math
import re
import subprocess
import sys

import numpy as np
import pytest

from initlab import training
from initlab import training_widget as tw

PNG = b"\x89PNG"


def fake_run(init="he_normal", activation="relu", depth=3, width=16, epochs=4, grads=None, seed=0):
    """A TrainingRun with a plausible history, built without TensorFlow."""
    grads = np.linspace(1.0, 0.5, depth + 1) if grads is None else np.asarray(grads, float)
    loss = list(np.linspace(2.0, 0.5, epochs))
    return training.TrainingRun(
        history={"loss": loss, "accuracy": list(np.linspace(0.3, 0.9, epochs)),
                 "val_loss": loss, "val_accuracy": list(np.linspace(0.25, 0.85, epochs))},
        initial_loss=2.4, chance_loss=math.log(10), grad_norms=grads,
        update_ratios=np.full((epochs, depth + 1), 0.01), seconds=0.1,
        settings=dict(data="digits", init=init, activation=activation, depth=depth, width=width,
                      epochs=epochs, optimizer="adam", learning_rate=1e-3, batch_size=64, seed=seed,
                      bias_init="zeros", output_init=None),
        model=None)


@pytest.fixture
def explorer(monkeypatch):
    """An explorer whose training is replaced by fake runs that echo the settings."""
    calls = []

    def train(data, **kwargs):
        calls.append(kwargs)
        return fake_run(init=kwargs["init"], activation=kwargs["activation"], depth=kwargs["depth"],
                        width=kwargs["width"], epochs=kwargs["epochs"], seed=kwargs["seed"])

    monkeypatch.setattr(training, "train", train)
    ex = tw.TrainingExplorer(train_now=False)
    ex.calls = calls
    return ex


def test_train_passes_every_control_and_redraws(explorer):
    explorer.set(init="glorot_uniform", activation="tanh", depth=7, width=32, epochs=3,
                 optimizer="sgd", seed=5)
    run = explorer.train()
    assert explorer.calls[-1] == dict(init="glorot_uniform", activation="tanh", depth=7, width=32, epochs=3,
                                      optimizer="sgd", learning_rate=pytest.approx(0.1), seed=5)
    assert explorer.runs == [run]
    assert explorer.png.startswith(PNG) and explorer.image.value == explorer.png
    assert "glorot_uniform, tanh, 7×32" in explorer.status
    assert "glorot_uniform, tanh, 7×32" in explorer.message.value


def test_the_train_button_trains_and_the_clear_button_clears(explorer):
    explorer.buttons["train"].click()
    explorer.controls["init"].value = "zeros"
    explorer.buttons["train"].click()
    assert [r.settings["init"] for r in explorer.runs] == [tw.DEFAULTS["init"], "zeros"]
    before = explorer.png
    explorer.buttons["clear"].click()
    assert explorer.runs == [] and explorer.png.startswith(PNG) and explorer.png != before


def test_the_figure_keeps_the_last_runs_only(explorer):
    for seed in range(tw.MAX_RUNS + 2):
        explorer.set(seed=seed)
        explorer.train()
    assert [r.settings["seed"] for r in explorer.runs] == list(range(2, tw.MAX_RUNS + 2))


def test_switching_optimizer_selects_its_learning_rate(explorer):
    explorer.controls["optimizer"].value = "sgd"
    assert explorer.controls["learning_rate"].value == pytest.approx(tw.OPTIMIZERS["sgd"])
    explorer.set(optimizer="adam")
    assert explorer.settings()["learning_rate"] == pytest.approx(tw.OPTIMIZERS["adam"])
    explorer.set(optimizer="sgd", learning_rate=0.01)
    assert explorer.settings()["learning_rate"] == pytest.approx(0.01)


def test_settings_are_validated_and_clamped(explorer):
    explorer.set(depth=500)
    assert explorer.settings()["depth"] == tw.LIMITS["depth"][1]
    assert "clamped" in explorer.message.value
    with pytest.raises(ValueError, match="unknown init 'he_normall'. Did you mean 'he_normal'"):
        explorer.set(init="he_normall")
    with pytest.raises(ValueError, match="width must be one of"):
        explorer.set(width=100)
    with pytest.raises(TypeError, match="unknown setting"):
        explorer.set(colour="red")
    with pytest.raises(TypeError, match="depth must be an int, got float"):
        explorer.set(depth=float("nan"))
    with pytest.raises(ValueError, match="learning_rate must be a finite number"):
        explorer.set(learning_rate=float("nan"))


def test_the_widget_tree_holds_every_control():
    ex = tw.TrainingExplorer(train_now=False)
    shown = set()

    def walk(w):
        shown.add(id(w))
        for child in getattr(w, "children", ()):
            walk(child)

    walk(ex.widget)
    assert all(id(c) in shown for c in list(ex.controls.values()) + list(ex.buttons.values()))
    assert id(ex.image) in shown


def test_figure_marks_layers_with_zero_gradient_and_rejects_bad_labels():
    png = tw.figure([fake_run(init="zeros", grads=np.zeros(4)), fake_run()])
    assert png.startswith(PNG)
    assert tw.figure([fake_run(init="zeros", grads=np.zeros(4))]).startswith(PNG)   # nothing on the log axis
    assert tw.figure([]).startswith(PNG)
    with pytest.raises(ValueError, match="labels"):
        tw.figure([fake_run()], labels=["a", "b"])
    assert tw._ranges([1, 2, 3, 5, 7, 8]) == "1–3, 5, 7–8"


def test_labels_name_strings_initlab_and_keras_initializers():
    from initlab import initializers

    keras = training.import_keras()
    assert tw.label(fake_run(init="he_normal", depth=15, width=64)) == "he_normal, relu, 15×64"
    assert tw.label(fake_run(init=initializers.get("glorot_standard"))).startswith("glorot_standard,")
    assert tw.label(fake_run(init=keras.initializers.RandomNormal(stddev=0.05))).startswith("RandomNormal(0.05),")
    assert tw.label(fake_run(init=keras.initializers.HeNormal(seed=3))).startswith("HeNormal,")


def _twin_data(panel):
    html = panel._repr_html_()
    match = re.search(r'<script type="application/json" class="initlab-twin-data">(.*?)</script>', html, re.S)
    return html, json.loads(match.group(1))


def test_twin_is_self_contained_with_one_frame_per_key():
    runs = {("he_normal", "1"): [fake_run(seed=0), fake_run(seed=1)], ("zeros", "1"): fake_run(init="zeros"),
            ("he_normal", "15"): fake_run(depth=15)}
    html, data = _twin_data(tw.twin(runs, names=("init", "depth"), caption="cap <b>"))
    assert len(data["frames"]) == 3
    assert set(data["frames"]) == {data["sep"].join(k) for k in runs}
    for frame in data["frames"].values():
        assert base64.b64decode(frame.split(",", 1)[1]).startswith(PNG)
    assert html.count("<select") == 2 and html.count("<option") == 4       # he_normal, zeros; 1, 15
    assert "not precomputed" in html                                       # (zeros, 15) is missing
    assert "cap &lt;b&gt;" in html
    assert not re.search(r'src="https?:', html) and "<script src" not in html


def test_twin_labels_and_argument_errors():
    html, data = _twin_data(tw.twin({"a": fake_run()}, names=["init"], labels={"a": "my label"}))
    assert len(data["frames"]) == 1
    with pytest.raises(ValueError, match="need 2"):
        tw.twin({("a",): fake_run()}, names=("init", "depth"))
    with pytest.raises(ValueError, match="runs must not be empty"):
        tw.twin({}, names=("init",))
    with pytest.raises(ValueError, match="names must not be empty"):
        tw.twin({"a": fake_run()}, names=())
    with pytest.raises(ValueError, match="no runs"):
        tw.twin({"a": []}, names=("init",))


def test_import_loads_neither_tensorflow_nor_ipywidgets():
    code = ("import sys, initlab.training_widget; "
            "print(any(m in sys.modules for m in ('tensorflow', 'keras', 'ipywidgets')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_real_tiny_run_through_the_explorer():
    ex = tw.TrainingExplorer(init="he_normal", depth=1, width=16, epochs=1)   # trains at once
    assert len(ex.runs) == 1
    run = ex.runs[0]
    assert run.settings["depth"] == 1 and run.settings["width"] == 16 and len(run.history["loss"]) == 1
    assert run.grad_norms.shape == (2,) and np.all(run.grad_norms > 0)
    assert "test accuracy" in ex.status and ex.png.startswith(PNG)

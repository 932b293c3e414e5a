#!/usr/bin/env python
"""Benchmark of initlab.propagation.simulate, the engine of the live explorer.

Run from the repository root::

    python bench/bench_propagation.py           # medians of several repeats
    python bench/bench_propagation.py --quick   # 1 repeat of each: a CI smoke test
    python bench/bench_propagation.py --check   # exit 1 if a budget is missed

All timings are taken side by side in one run, interleaved repeat by repeat (so that a slow spell
of a shared machine hits every method alike), with time.perf_counter; the table shows medians.
Every method does the same work on a ReLU net with He-normal weights: sample the weights, run the
forward pass, backpropagate a N(0, 1) output gradient, and compute the per-layer std of the
pre-activations, the activations and the gradients.

(a) ``propagation.simulate`` (which also computes the activation mean, dead units and saturation);
(b) a minimal hand-written numpy loop (weights from ``rng.standard_normal`` times √(2/n), i.e. an
    untruncated normal, cheaper than he_normal's truncated one);
(c) the explorer's update, compute + redraw, as a reader sweeps the weight-scale slider
    (initlab.widgets.Explorer.set(scale=...), at the explorer's own batch size);
(e) ``simulate`` on a network sampled once (``weights=``), which is what the explorer computes when
    a slider other than depth, width or initializer moves;
(d) the same statistics through Keras: a Sequential of Dense(use_bias=False,
    kernel_initializer=HeNormal) and ReLU layers, built anew each time (so the initialisation is
    counted), run eagerly under a tf.GradientTape with ``output_gradients``;
(f) the in-page explorer's compute (``simulate`` + theory + verdict in its worker, on a network
    sampled once, as a slider move computes) and (g) its whole update (compute, transfer and
    redraw of the three canvases), timed inside headless Chromium as a reader sweeps the
    weight-scale slider, at the page's default size. They need Chromium and Playwright.

Budgets (the README's "Benchmarks" section): (a)/(b) <= 1.5, (d)/(a) >= 10, explorer update
<= 100 ms median, and in the page an update (g) <= 100 ms median at depth 30 x width 256.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

try:
    from initlab import propagation
except ImportError:  # running from a checkout without `pip install -e .`
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))
    from initlab import propagation

from initlab.widgets import BATCH, DEFAULTS

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _page import open_static_page

EXPLORER = (DEFAULTS["depth"], DEFAULTS["width"], BATCH)
PAGE_BATCH = 64    # the in-page explorer's batch (book/_ext/initlab_explorer.py, BATCH)
PAGE = (DEFAULTS["depth"], DEFAULTS["width"], PAGE_BATCH)
SIZES = {  # label: (depth, width, batch)
    f"explorer default {EXPLORER[0]}x{EXPLORER[1]}, batch {EXPLORER[2]}": EXPLORER,
    f"in-page default {PAGE[0]}x{PAGE[1]}, batch {PAGE[2]}": PAGE,
    "large 50x512, batch 512": (50, 512, 512),
}
#: The weight scales a reader sweeps in the explorer (the book's twin): each widget update moves
#: the slider to the next, so the axes' limits change as they do for a reader.
SCALES = (0.1, 0.2, 0.3, 0.5, 0.7, 0.85, 1.0, 1.2, 1.4, 2.0, 3.0, 5.0, 10.0)
BUDGET_VS_NUMPY = 1.5
BUDGET_KERAS = 10.0
BUDGET_WIDGET_MS = 100.0


# ---------------------------------------------------------------------------------------------
# (a) ours

def run_ours(depth, width, batch, seed):
    sim = propagation.simulate(depth=depth, width=width, batch=batch, activation="relu",
                               init="he_normal", seed=seed)
    return sim.pre_std, sim.act_std, sim.grad_std


_NETWORKS = {}


def run_ours_fixed(depth, width, batch, seed):
    """(e) simulate on a network sampled once per size, as the explorer runs it on a slider move."""
    if (depth, width) not in _NETWORKS:
        _NETWORKS[depth, width] = propagation.sample_weights([width] * (depth + 1), "he_normal",
                                                             seed=12345)
    sim = propagation.simulate(depth=depth, width=width, batch=batch, activation="relu",
                               init="he_normal", seed=seed, weights=_NETWORKS[depth, width])
    return sim.pre_std, sim.act_std, sim.grad_std


# ---------------------------------------------------------------------------------------------
# (b) the minimal hand-written numpy loop

def run_numpy(depth, width, batch, seed):
    rng = np.random.default_rng(seed)
    std = np.float32(np.sqrt(2.0 / width))
    a = rng.standard_normal((batch, width), dtype=np.float32)
    weights, masks, pre, act = [], [], [], []
    for _ in range(depth):
        w = rng.standard_normal((width, width), dtype=np.float32) * std
        z = a @ w
        mask = z > 0
        a = np.maximum(z, 0)
        pre.append(z.std())
        act.append(a.std())
        weights.append(w)
        masks.append(mask)
    g = rng.standard_normal((batch, width), dtype=np.float32)
    grad = []
    for l in range(depth - 1, -1, -1):
        if l < depth - 1:
            g = g @ weights[l + 1].T
        g = g * masks[l]
        grad.append(g.std())
    return np.array(pre), np.array(act), np.array(grad[::-1])


# ---------------------------------------------------------------------------------------------
# (c) The explorer's full update: simulate + theory + redraw into a PNG, as a slider move does.

def make_widget_update():
    """One ``Explorer.update()`` at the given size (ReLU, he_normal), or None without ipywidgets."""
    try:
        from initlab.widgets import Explorer
    except ImportError:
        return None
    explorers = {}

    def update(depth, width, batch, seed):
        if (depth, width) not in explorers:   # built once: the reader's widget already exists
            explorers[depth, width] = Explorer(depth=min(depth, 100), width=min(width, 1024),
                                               activation="relu", init="he_normal")
        explorer = explorers[depth, width]
        # A slider move on the reader's network (simulate + redraw); the run's seed picks the
        # position, and seed 0, the sanity check's, is the default scale 1.
        explorer.set(scale=SCALES[(SCALES.index(1.0) + seed) % len(SCALES)])
        s = explorer.simulation
        return s.pre_std, s.act_std, s.grad_std

    return update


# ---------------------------------------------------------------------------------------------
# (d) Keras

def make_keras_runner():
    """A callable doing the same statistics through Keras, or (None, reason) if unavailable."""
    try:
        from initlab.quiet_keras import import_keras

        keras = import_keras()
        import tensorflow as tf
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"
    tf.get_logger().setLevel("ERROR")

    def run_keras(depth, width, batch, seed):
        layers = [keras.Input((width,))]
        for l in range(depth):
            init = keras.initializers.HeNormal(seed=seed * 1000 + l)   # distinct seed per layer
            layers += [keras.layers.Dense(width, use_bias=False, kernel_initializer=init),
                       keras.layers.ReLU()]
        model = keras.Sequential(layers)                                # builds = samples weights
        gen = tf.random.Generator.from_seed(seed)
        x = gen.normal((batch, width))
        g = gen.normal((batch, width))
        zs, acts = [], []
        with tf.GradientTape() as tape:
            a = x
            for dense, relu in zip(model.layers[0::2], model.layers[1::2]):
                z = dense(a)
                a = relu(z)
                zs.append(z)
                acts.append(a)
        grads = tape.gradient(a, zs, output_gradients=g)
        pre = tf.stack([tf.math.reduce_std(z) for z in zs])
        act = tf.stack([tf.math.reduce_std(v) for v in acts])
        grad = tf.stack([tf.math.reduce_std(v) for v in grads])
        return pre.numpy(), act.numpy(), grad.numpy()

    return run_keras, f"keras {keras.__version__}, tensorflow {tf.__version__}"


# ---------------------------------------------------------------------------------------------
# (f), (g) The explorer in the page, in headless Chromium

def make_page_update():
    """``(update, timings, close)`` driving the in-page explorer, or ``(None, reason, None)``."""
    state = dict(depth=PAGE[0], width=PAGE[1], batch=PAGE[2], activation="relu", init="he_normal")
    config = html.escape(json.dumps({"state": state}), quote=True)
    body = f'<div class="initlab-explorer" id="explorer" data-config="{config}"></div>'
    page, close = open_static_page(body, "document.querySelector('.initlab-explorer').dataset.verdict")
    if page is None:
        return None, close, None
    timings = {"compute": [], "update": []}

    def update(depth, width, batch, seed):
        assert (depth, width, batch) == PAGE, "the page runs at its default size only"
        scale = SCALES[(SCALES.index(1.0) + seed) % len(SCALES)]
        out = page.evaluate("""async (scale) => {
            const ex = document.querySelector('.initlab-explorer').initlabExplorer;
            const t0 = performance.now();
            await ex.set({scale});
            const update = performance.now() - t0, r = ex.result.sim;
            return {update, compute: ex.timings.at(-1).compute, pre: r.pre_std, act: r.act_std,
                    grad: r.grad_std};
        }""", scale)
        timings["update"].append(out["update"] / 1e3)
        timings["compute"].append(out["compute"] / 1e3)
        return np.array(out["pre"]), np.array(out["act"]), np.array(out["grad"])

    return update, timings, close


# ---------------------------------------------------------------------------------------------

def measure(methods, size, repeats):
    """Median seconds per method, interleaved: repeat r runs every method once, in turn."""
    depth, width, batch = size
    times = {name: [] for name in methods}
    for fn in methods.values():                # warm-up: imports, BLAS threads, TF kernels
        fn(depth, width, batch, 0)
    for r in range(repeats):
        for name, fn in methods.items():
            t0 = time.perf_counter()
            fn(depth, width, batch, r + 1)
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(ts) for name, ts in times.items()}, times


def sanity(methods, size):
    """Every method must see the same physics: He init keeps ReLU pre-activations near √2."""
    depth, width, batch = size
    for name, fn in methods.items():
        pre, _, grad = fn(depth, width, batch, 0)
        if not (0.5 < pre[0] < 4 and np.all(np.isfinite(pre)) and np.all(np.isfinite(grad))):
            raise SystemExit(f"{name}: implausible statistics, pre_std[0] = {pre[0]}")


def _load() -> str:
    try:
        return ", ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:
        return "n/a"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[1])
    parser.add_argument("--quick", action="store_true", help="1 repeat of each (CI smoke test)")
    parser.add_argument("--repeats", type=int, default=None, help="repeats per method and size")
    parser.add_argument("--no-keras", action="store_true", help="skip the Keras column")
    parser.add_argument("--no-page", action="store_true", help="skip the in-page columns")
    parser.add_argument("--check", action="store_true", help="exit 1 if a budget is missed")
    args = parser.parse_args(argv)

    methods = {"(a) simulate": run_ours, "(b) numpy loop": run_numpy, "(e) fixed net": run_ours_fixed}
    widget = make_widget_update()
    if widget is not None:
        methods["(c) widget update"] = widget
    keras_note = "skipped (--no-keras)"
    if not args.no_keras:
        run_keras, keras_note = make_keras_runner()
        if run_keras is not None:
            methods["(d) keras"] = run_keras
    page_update, page_timings, page_close = (None, "skipped (--no-page)", None) if args.no_page \
        else make_page_update()
    page_note = page_timings if page_update is None else "headless Chromium"

    print(f"python {platform.python_version()}, numpy {np.__version__}, "
          f"{os.cpu_count()} CPUs, {platform.machine()}; Keras: {keras_note}; page: {page_note}")
    print(f"load average before: {_load()} (other processes on the machine skew every column; "
          f"the ratios, measured interleaved, much less)")
    rows, failures = [], []
    for label, size in SIZES.items():
        repeats = args.repeats or (1 if args.quick else (15 if size[1] <= 256 else 7))
        here = dict(methods)
        if size == PAGE and page_update is not None:
            here["(g) page update"] = page_update
        sanity(here, size)
        if size == PAGE and page_update is not None:
            for series in page_timings.values():
                series.clear()                   # keep only the measured repeats
        med, times = measure(here, size, repeats)
        a, b = med["(a) simulate"], med["(b) numpy loop"]
        paired = statistics.median(x / y for x, y in zip(times["(a) simulate"],
                                                         times["(b) numpy loop"]))
        row = {"size": label, "repeats": repeats, "a": a, "b": b, "ab": a / b, "ab_paired": paired,
               "c": med.get("(c) widget update"), "d": med.get("(d) keras")}
        row["e"] = med["(e) fixed net"]
        paged = size == PAGE and page_update is not None
        row["f"] = statistics.median(page_timings["compute"][-repeats:]) if paged else None
        row["g"] = statistics.median(page_timings["update"][-repeats:]) if paged else None
        row["da"] = None if row["d"] is None else row["d"] / a
        row["de"] = None if row["d"] is None else row["d"] / row["e"]
        rows.append(row)
        if row["ab"] > BUDGET_VS_NUMPY:
            failures.append(f"{label}: (a)/(b) = {row['ab']:.2f} > {BUDGET_VS_NUMPY}")
        if row["da"] is not None and row["da"] < BUDGET_KERAS:
            failures.append(f"{label}: keras/ours = {row['da']:.1f} < {BUDGET_KERAS}")
        if row["c"] is not None and size == EXPLORER \
                and row["c"] * 1e3 > BUDGET_WIDGET_MS:
            failures.append(f"{label}: widget update {row['c'] * 1e3:.0f} ms > "
                            f"{BUDGET_WIDGET_MS:.0f} ms")
        if row["g"] is not None and row["g"] * 1e3 > BUDGET_WIDGET_MS:
            failures.append(f"{label}: in-page update {row['g'] * 1e3:.0f} ms > "
                            f"{BUDGET_WIDGET_MS:.0f} ms")
    if page_close is not None:
        page_close()

    ms = lambda v: "-" if v is None else f"{v * 1e3:9.1f}"
    rat = lambda v: "-" if v is None else f"{v:6.2f}"
    header = (f"{'size':38s} {'reps':>4s} {'(a) ours ms':>11s} {'(b) numpy ms':>12s} "
              f"{'(a)/(b)':>7s} {'paired':>6s} {'(c) widget ms':>13s} {'(d) keras ms':>12s} "
              f"{'(d)/(a)':>7s} {'(e) fixed ms':>12s} {'(d)/(e)':>7s} {'(f) page compute':>16s} "
              f"{'(g) page update':>15s}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['size']:38s} {r['repeats']:4d} {ms(r['a']):>11s} {ms(r['b']):>12s} "
              f"{rat(r['ab']):>7s} {rat(r['ab_paired']):>6s} {ms(r['c']):>13s} {ms(r['d']):>12s} "
              f"{rat(r['da']):>7s} {ms(r['e']):>12s} {rat(r['de']):>7s} {ms(r['f']):>16s} "
              f"{ms(r['g']):>15s}")
    print(f"budgets: (a)/(b) <= {BUDGET_VS_NUMPY}, (d)/(a) >= {BUDGET_KERAS}, "
          f"(c) <= {BUDGET_WIDGET_MS:.0f} ms at the explorer default, (g) <= "
          f"{BUDGET_WIDGET_MS:.0f} ms at the in-page default. 'paired' is the median of "
          f"the per-repeat ratios (a)/(b); (f) and (g) are timed inside the page.")
    if args.quick:
        print("--quick: 1 repeat each, a smoke test; the timings are not meaningful")
    print(f"load average after: {_load()}")
    print("result: " + ("all budgets met" if not failures else "; ".join(failures)))
    return 1 if (args.check and failures) else 0


if __name__ == "__main__":
    sys.exit(main())

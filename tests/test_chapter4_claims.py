"""The claims chapter 4 (He/Kaiming) makes, asserted."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from initlab import initializers, propagation


def test_leaky_relu_second_moment_and_gain():
    z = np.random.default_rng(0).standard_normal(2_000_000)
    for s in (0.0, 0.01, 0.2, 1.0):                       # the negative slope s
        f = np.where(z > 0, z, s * z)
        # E[f²]/E[z²] is a ratio of means of 2e6 samples: its sd is below 1e-3, 5 sd < 5e-3
        assert np.mean(f**2) / np.mean(z**2) == pytest.approx((1 + s * s) / 2, abs=5e-3)
        assert initializers.gain("leaky_relu", s) ** 2 == pytest.approx(2 / (1 + s * s))
    # "Var[ReLU(z)] = (1/2 − 1/(2π)) Var z ≈ 0.34 Var z", measured 0.3411 in the chapter's cell
    relu = propagation.predict_variance(depth=1, width=100, activation="relu", init="lecun_normal")
    assert relu.act_std[0] ** 2 / relu.pre_var[0] == pytest.approx(0.3408, abs=1e-4)
    assert np.maximum(z, 0).var() / z.var() == pytest.approx(0.5 - 1 / (2 * math.pi), abs=3e-3)


@pytest.mark.parametrize("name, edge", [("he_uniform", math.sqrt(3)), ("he_normal", 2 / initializers.TRUNCATION_STD)])
def test_he_samples_std_and_largest_weight(name, edge):
    # "weight ~ sqrt(2/fan_in)" is the std; the uniform limit is √3σ, the truncated normal's cut 2.27σ
    shape = (784, 256)
    sigma = math.sqrt(2 / 784)
    w = initializers.get(name)(shape, seed=0).astype(np.float64)
    assert w.std() == pytest.approx(sigma, rel=0.01)
    assert edge * 0.99 <= np.abs(w).max() / sigma <= edge * (1 + 1e-6)
    assert 2 / initializers.TRUNCATION_STD == pytest.approx(2.274, abs=1e-3)


WIDTHS = [256] + [128, 512] * 10


def _mode_runs(mode):
    init = initializers.VarianceScaling(2.0, mode, "truncated_normal")
    return init, [propagation.simulate(widths=WIDTHS, activation="relu", init=init, seed=s) for s in range(8)]


@pytest.mark.parametrize("mode, fwd, bwd", [("fan_in", 1.0, 2.0), ("fan_out", 0.5, 1.0)])
def test_both_modes_keep_both_passes_within_the_width_ratio(mode, fwd, bwd):
    # Measured medians of 8 seeds: fan_in 0.99 / 2.11, fan_out 0.50 / 1.06; seed 0: 0.60 / 2.12.
    init, sims = _mode_runs(mode)
    theory = propagation.predict_variance(widths=WIDTHS, activation="relu", init=init)
    assert theory.ratio == pytest.approx(fwd, rel=1e-9) and theory.grad_ratio == pytest.approx(bwd, rel=1e-9)
    for sim in sims:
        # the telescoping product is n_L / n_1 = 4 (or 1/4): nothing exponential in depth
        assert 1 / 16 < sim.ratio < 16 and 1 / 16 < sim.grad_ratio < 16
    assert np.median([s.ratio for s in sims]) == pytest.approx(fwd, rel=0.25)
    assert np.median([s.grad_ratio for s in sims]) == pytest.approx(bwd, rel=0.25)


def test_modes_share_the_wobble():
    # Same seed, same draws, a different scale per layer: ReLU commutes with it, so the ratios of
    # the two modes differ by exactly the theory's factor 1/2.
    (_, fan_in), (_, fan_out) = _mode_runs("fan_in"), _mode_runs("fan_out")
    for a, b in zip(fan_in, fan_out):
        assert b.ratio / a.ratio == pytest.approx(0.5, rel=1e-3)
        assert b.grad_ratio / a.grad_ratio == pytest.approx(0.5, rel=1e-3)


def test_30_layers_glorot_median_near_2_to_minus_14_5_and_he_band():
    glorot = [propagation.simulate(depth=30, width=256, activation="relu", init="glorot_normal", seed=s).ratio
              for s in range(8)]
    he = [propagation.simulate(depth=30, width=256, activation="relu", init="he_normal", seed=s).ratio
          for s in range(8)]
    assert np.median(glorot) == pytest.approx(2**-14.5, rel=0.3)
    assert min(he) > 0.25 and max(he) < 4


def test_pytorch_default_is_a_sixth_of_he_variance():
    shape = (300, 200)
    torch_linear = initializers.get("pytorch_linear")
    assert torch_linear.bounds(shape)[1] == pytest.approx(1 / np.sqrt(300))
    assert torch_linear.std(shape) ** 2 / initializers.get("he_normal").std(shape) ** 2 == pytest.approx(1 / 6)
    assert initializers.gain("leaky_relu", np.sqrt(5)) ** 2 == pytest.approx(1 / 3)


def test_deep_relu_digits_he_trains_glorot_lags_small_random_stalls():
    # Measured: he_normal 0.77 / 0.88, glorot_uniform 0.40 / 0.47, random_normal 0.10 / 0.10.
    from initlab import data, training

    digits = data.load("digits")
    grads = {}
    for seed in (0, 1):
        runs = {init: training.train(digits, init=init, activation="relu", depth=20, width=64, epochs=8,
                                     seed=seed) for init in ("he_normal", "glorot_uniform", "random_normal")}
        acc = {init: r.history["val_accuracy"][-1] for init, r in runs.items()}
        assert acc["he_normal"] > 0.7
        assert acc["glorot_uniform"] < acc["he_normal"] - 0.1
        assert acc["random_normal"] < 0.2
        for init, r in runs.items():
            grads.setdefault(init, []).append(r.grad_norms[:-1])
    median = {init: np.median(g) for init, g in grads.items()}
    epsilon = training.import_keras().optimizers.Adam().epsilon
    assert epsilon == pytest.approx(1e-7)
    # the small random init's hidden-layer gradients lie far below Adam's epsilon; He's above Glorot's
    assert median["random_normal"] < 1e-3 * epsilon
    assert median["random_normal"] < 1e-4 * median["glorot_uniform"] < median["he_normal"]
    # "each ReLU layer multiplies the std by √(64·0.05²/2) = 0.28"
    small = propagation.predict_variance(depth=3, width=64, activation="relu",
                                         init=initializers.random_normal(stddev=0.05))
    assert small.pre_std[2] / small.pre_std[1] == pytest.approx(0.283, abs=1e-3)


def test_he_gain_on_a_leaky_relu_drifts_by_a_compounding_factor():
    # Exercise "ReLU's gain on a leaky ReLU": with Var w = 2/n a leaky-ReLU layer multiplies E[z²] by
    # 2·½(1 + s²) = 1 + s², measured here on 2e6 samples for s = 0.2 (sd of the ratio < 1e-3)
    z = np.random.default_rng(1).standard_normal(2_000_000)
    f = np.where(z > 0, z, 0.2 * z)
    assert 2 * np.mean(f**2) / np.mean(z**2) == pytest.approx(1 + 0.2**2, abs=5e-3)
    # "for s = 0.01 ... far less than the seed-to-seed wobble of a finite network": the predicted drift
    # over 49 layers is below a tenth of the spread of eight simulated networks' ratios
    drift = (1 + 0.01**2) ** (49 / 2) - 1
    ratios = [propagation.simulate(depth=50, width=256, activation="leaky_relu", init="he_normal", seed=s).ratio
              for s in range(8)]
    assert drift < (max(ratios) - min(ratios)) / 10


def test_one_symbol_per_meaning_a_is_an_activation_s_the_slope():
    """a_l is the activation (notation page); the leaky slope is s, PyTorch's argument `a` is code."""
    from _book import ROOT

    text = (ROOT / "book" / "04-he-kaiming.md").read_text(encoding="utf-8")
    notation = (ROOT / "book" / "notation.md").read_text(encoding="utf-8")
    assert "| $s$ | the **negative slope**" in notation and "| $a_l$ | the **activation**" in notation
    assert "1 + s^2" in text and not re.search(r"1 \+ a\^2|slope \$a|\$a = ", text)
    assert "`a=math.sqrt(5)`" in text
    # Adam's m and v are defined in words where the chapter uses them
    assert re.search(r"\$m\$, of\s+the weight's gradient, and \$v\$, of the gradient's square", text)

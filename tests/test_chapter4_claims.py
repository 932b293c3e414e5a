"""The claims chapter 4 (He/Kaiming) makes, asserted."""

from __future__ import annotations

import numpy as np
import pytest

from initlab import initializers, propagation


def test_leaky_relu_second_moment_and_gain():
    z = np.random.default_rng(0).standard_normal(2_000_000)
    for a in (0.0, 0.01, 0.2, 1.0):
        f = np.where(z > 0, z, a * z)
        # E[f²]/E[z²] is a ratio of means of 2e6 samples: its sd is below 1e-3, 5 sd < 5e-3
        assert np.mean(f**2) / np.mean(z**2) == pytest.approx((1 + a * a) / 2, abs=5e-3)
        assert initializers.gain("leaky_relu", a) ** 2 == pytest.approx(2 / (1 + a * a))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_both_modes_keep_both_passes_within_the_width_ratio(mode):
    widths = [256] + [128, 512] * 10
    init = initializers.VarianceScaling(2.0, mode, "truncated_normal")
    for seed in range(3):
        sim = propagation.simulate(widths=widths, activation="relu", init=init, seed=seed)
        # the telescoping product is n_L / n_1 = 4 (or 1/4): nothing exponential in depth
        assert 1 / 16 < sim.ratio < 16 and 1 / 16 < sim.grad_ratio < 16


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
    from initlab import data, training

    digits = data.load("digits")
    for seed in (0, 1):
        acc = {init: training.train(digits, init=init, activation="relu", depth=20, width=64, epochs=8,
                                    seed=seed).history["val_accuracy"][-1]
               for init in ("he_normal", "glorot_uniform", "random_normal")}
        assert acc["he_normal"] > 0.7
        assert acc["glorot_uniform"] < acc["he_normal"] - 0.1
        assert acc["random_normal"] < 0.2

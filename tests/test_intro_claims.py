"""The intro's "If you have five minutes" plots: the claims its text makes, for several seeds.

Over 50 layers of width 256: small random weights (Keras' ``random_normal``) make a tanh signal
fade by orders of magnitude while Glorot keeps it; Keras' default ``glorot_uniform`` makes a ReLU
signal fade while He keeps its scale; SELU with LeCun keeps it near 1.
"""

import pytest

from initlab import initializers, propagation


def last_over_first(activation, init, seed):
    sim = propagation.simulate(depth=50, width=256, activation=activation, init=init, seed=seed)
    return float(sim.pre_std[-1] / sim.pre_std[0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_five_minute_plots(seed):
    assert initializers.get("random_normal").std((256, 256)) == pytest.approx(0.05)
    assert last_over_first("tanh", "random_normal", seed) < 1e-3       # fades
    assert last_over_first("tanh", "glorot_uniform", seed) > 1e-2      # fades slowly, like 1/sqrt(l)
    assert last_over_first("relu", "glorot_uniform", seed) < 1e-3      # fades
    assert 0.5 < last_over_first("relu", "he_normal", seed) < 2        # holds
    assert 0.8 < last_over_first("selu", "lecun_normal", seed) < 1.25  # holds near 1

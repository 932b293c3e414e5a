"""Parity of initlab.initializers with the installed Keras (TensorFlow backend).

Importing Keras takes several seconds, so it happens here and only here. Every random comparison
draws n samples from each library with a fixed seed and allows Z = 5 standard errors (conftest.py):
a false failure is rarer than 1e-6 per check.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from scipy import stats

import initlab.initializers as ini
from initlab.quiet_keras import import_keras

from _stats import KS_P_MIN, KURTOSIS, z_bound

keras = import_keras()

K = keras.initializers
T = 0.87962566103423978
DENSE, CONV = (300, 100), (3, 3, 16, 48)      # fan_in != fan_out in both
SHAPES = pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])


def as_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor))


# Our name -> (what our sample is, the Keras initializer with a given seed). The names Keras
# shares are looked up through keras.initializers.get, so a renamed or re-parameterised Keras
# default shows up here; the historical heuristics map to the Keras class with their parameters.
SHARED = ["random_normal", "random_uniform", "truncated_normal", "glorot_uniform", "glorot_normal",
          "he_uniform", "he_normal", "lecun_uniform", "lecun_normal"]
KIND = {"random_normal": "untruncated_normal", "random_uniform": "uniform",
        "truncated_normal": "truncated_normal", "glorot_uniform": "uniform",
        "glorot_normal": "truncated_normal", "he_uniform": "uniform", "he_normal": "truncated_normal",
        "lecun_uniform": "uniform", "lecun_normal": "truncated_normal", "numpy_rand": "uniform",
        "uniform_pm03": "uniform", "uniform_pm1": "uniform", "glorot_standard": "uniform"}
KERAS_RANDOM = {name: (lambda seed, n=name: type(K.get(n))(seed=seed)) for name in SHARED}
KERAS_RANDOM.update({
    "numpy_rand": lambda seed: K.RandomUniform(0.0, 1.0, seed=seed),
    "uniform_pm03": lambda seed: K.RandomUniform(-0.3, 0.3, seed=seed),
    "uniform_pm1": lambda seed: K.RandomUniform(-1.0, 1.0, seed=seed),
    # PyTorch's default, = kaiming_uniform(a=√5): gain² = 1/3
    "glorot_standard": lambda seed: K.VarianceScaling(1 / 3, "fan_in", "uniform", seed=seed),
})


def test_every_name_has_a_keras_counterpart_here():
    covered = set(KERAS_RANDOM) | {"zeros", "ones", "constant", "orthogonal", "identity"}
    assert covered == set(ini.NAMES)


def _exact_dist(kind, sd, lo, hi):
    if kind == "uniform":
        return stats.uniform(loc=lo, scale=hi - lo)
    if kind == "truncated_normal":
        return stats.truncnorm(-2, 2, loc=(lo + hi) / 2, scale=(hi - lo) / 4)
    return stats.norm(loc=0.0, scale=sd)


def compare_samples(ours, theirs, kind, init, shape):
    """Assert two float32 samples have the same law, the one ``init`` states for ``shape``."""
    assert ours.shape == theirs.shape == shape and ours.dtype == theirs.dtype == np.float32
    x, y = ours.astype(np.float64).ravel(), theirs.astype(np.float64).ravel()
    n, sd, (lo, hi) = x.size, init.std(shape), init.bounds(shape)
    mean = (lo + hi) / 2 if math.isfinite(lo) else 0.0
    dist = _exact_dist(kind, sd, lo, hi)
    kappa = KURTOSIS[kind]
    s_x, s_y = (math.sqrt(np.mean((v - mean) ** 2)) for v in (x, y))
    # each std against the exact σ: the relative SE of a sample std is √((κ − 1)/n)/2
    for s in (s_x, s_y):
        assert abs(s / sd - 1) <= z_bound(math.sqrt((kappa - 1) / n) / 2)
    # the ratio ours/keras of two independent estimates: SE of its log is √((κ − 1)/(2n))
    assert abs(s_x / s_y - 1) <= z_bound(math.sqrt((kappa - 1) / (2 * n)))
    for v in (x, y):
        assert abs(v.mean() - mean) <= z_bound(sd / math.sqrt(n))
    # bounds: both inside the same limits (uniform ±√3σ, truncated ±2σ₀, up to float32
    # rounding) and both reaching them: P(no sample beyond the q-quantile) ≤ e^(−qn) = 1e-6
    slack = 4 * np.finfo(np.float32).eps * max(abs(lo), abs(hi))
    q = math.log(1e6) / n
    for v in (x, y):
        assert lo - slack <= v.min() and v.max() <= hi + slack
        assert v.max() >= dist.isf(q) and v.min() <= dist.ppf(q)
    # tail fractions beyond 1σ and 2σ agree: difference of two binomials, SE √(2p(1 − p)/n)
    for k in (1.0, 2.0):
        p = dist.sf(mean + k * sd) + dist.cdf(mean - k * sd)
        fx, fy = (np.mean(np.abs(v - mean) > k * sd) for v in (x, y))
        assert abs(fx - fy) <= z_bound(math.sqrt(2 * p * (1 - p) / n)) + 1e-12
    # the same law: each against the exact distribution, and against each other
    assert stats.kstest(y, dist.cdf).pvalue > KS_P_MIN
    assert stats.kstest(x, dist.cdf).pvalue > KS_P_MIN
    assert stats.ks_2samp(x, y).pvalue > KS_P_MIN


@SHAPES
@pytest.mark.parametrize("name", sorted(KERAS_RANDOM))
def test_random_presets_match_keras(name, shape):
    ours_init, keras_init = ini.get(name), KERAS_RANDOM[name](123)
    ours, theirs = ours_init(shape, seed=123), as_numpy(keras_init(shape))
    compare_samples(ours, theirs, KIND[name], ours_init, shape)
    # seeds: an int seed gives the same array on a repeat call, in both
    assert_array_equal(as_numpy(keras_init(shape)), theirs)
    assert_array_equal(ours_init(shape, seed=123), ours)


@SHAPES
@pytest.mark.parametrize("dist", ["uniform", "truncated_normal", "untruncated_normal", "normal"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
def test_variance_scaling_matches_keras(mode, dist, shape):
    ours_init = ini.VarianceScaling(1.7, mode, dist)
    keras_init = K.VarianceScaling(1.7, mode, dist, seed=9)
    assert keras_init.distribution == ours_init.distribution        # "normal" means truncated
    compare_samples(ours_init(shape, seed=9), as_numpy(keras_init(shape)), ours_init.distribution,
                    ours_init, shape)


@pytest.mark.parametrize("name, keras_init", [
    ("zeros", K.Zeros()), ("ones", K.Ones()), ("constant", K.Constant()),
], ids=["zeros", "ones", "constant"])
@SHAPES
def test_constants_match_keras(name, keras_init, shape):
    assert_array_equal(ini.get(name)(shape), as_numpy(keras_init(shape)))
    assert_array_equal(ini.constant(-0.7)(shape), as_numpy(K.Constant(-0.7)(shape)))


@pytest.mark.parametrize("shape", [DENSE, CONV, (100, 300), (1, 1, 16, 48), (5, 8, 20)],
                         ids=["dense", "conv", "wide", "conv-wide", "rank3"])
def test_orthogonal_matches_keras(shape):
    g = 1.3
    ours, theirs = ini.orthogonal(g)(shape, seed=4), as_numpy(K.Orthogonal(gain=g, seed=4)(shape))
    assert ours.shape == theirs.shape == shape and ours.dtype == theirs.dtype == np.float32
    rows, cols = math.prod(shape[:-1]), shape[-1]        # both flatten the leading dims
    for w in (ours, theirs):
        m = w.reshape(rows, cols).astype(np.float64)
        gram = m.T @ m if rows >= cols else m @ m.T
        assert np.allclose(gram, g * g * np.eye(min(rows, cols)), atol=1e-5)
        assert math.sqrt(np.mean(m**2)) == pytest.approx(ini.orthogonal(g).std(shape), rel=1e-5)
        assert np.abs(w).max() <= g * (1 + 1e-6)
    assert_array_equal(as_numpy(K.Orthogonal(gain=g, seed=4)(shape)), theirs)   # int seed repeats
    assert_array_equal(ini.orthogonal(g)(shape, seed=4), ours)


@pytest.mark.parametrize("shape", [(), (5,)])
def test_orthogonal_rank_errors_match_keras(shape):
    with pytest.raises(ValueError):
        K.Orthogonal()(shape)
    with pytest.raises(ValueError):
        ini.orthogonal()(shape)


@pytest.mark.parametrize("shape", [DENSE, (3, 5), (4, 4)])
def test_identity_matches_keras(shape):
    assert_array_equal(ini.identity(1.5)(shape), as_numpy(K.Identity(gain=1.5)(shape)))
    assert_array_equal(ini.get("identity")(shape), as_numpy(K.Identity()(shape)))


@pytest.mark.parametrize("shape", [CONV, (5,)], ids=["conv", "rank1"])
def test_identity_rank_errors_match_keras(shape):
    with pytest.raises(ValueError):
        K.Identity()(shape)
    with pytest.raises(ValueError):
        ini.identity()(shape)


def test_seed_behaviour_compared_with_keras():
    shape = (50, 40)
    # int seeds: repeatable in both, and different ints differ in both
    assert_array_equal(as_numpy(K.HeNormal(seed=1)(shape)), as_numpy(K.HeNormal(seed=1)(shape)))
    assert not np.array_equal(as_numpy(K.HeNormal(seed=1)(shape)), as_numpy(K.HeNormal(seed=2)(shape)))
    assert_array_equal(ini.he_normal()(shape, seed=1), ini.he_normal()(shape, seed=1))
    assert not np.array_equal(ini.he_normal()(shape, seed=1), ini.he_normal()(shape, seed=2))
    # a stateful source advances: keras.random.SeedGenerator there, numpy.random.Generator here
    k = K.HeNormal(seed=keras.random.SeedGenerator(1))
    assert not np.array_equal(as_numpy(k(shape)), as_numpy(k(shape)))
    gen = np.random.default_rng(1)
    assert not np.array_equal(ini.he_normal()(shape, seed=gen), ini.he_normal()(shape, seed=gen))
    # The one difference: an unseeded Keras initializer fixes a random int seed when it is built and
    # repeats itself; ours takes the seed per call, and seed=None means fresh entropy every call.
    k = K.HeNormal()
    assert_array_equal(as_numpy(k(shape)), as_numpy(k(shape)))
    assert not np.array_equal(ini.he_normal()(shape), ini.he_normal()(shape))


def test_compute_fans_matches_keras():
    from keras.src.initializers.random_initializers import compute_fans as keras_fans
    shapes = [(), (0,), (1,), (7,), (5, 3), (3, 5), (0, 4), (1, 1), (4, 5, 3), (3, 3, 64, 128),
              (3, 3, 16, 48), (1, 1, 16, 48), (2, 3, 4, 5, 6), (3, 0, 4, 5), (7, 1, 1, 1, 1)]
    shapes += [tuple(int(d) for d in np.random.default_rng(i).integers(0, 9, size=i % 6))
               for i in range(60)]
    for shape in shapes:
        assert ini.compute_fans(shape) == keras_fans(shape), shape

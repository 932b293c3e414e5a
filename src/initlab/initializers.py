r"""Weight initializers: one variance-scaling core, thin named presets.

Every scheme the course teaches draws i.i.d. weights with mean 0 and a target variance

.. math::  \sigma^2 = \frac{\text{scale}}{\max(1, \text{fan})},

where *fan* is ``fan_in``, ``fan_out`` or their average ``fan_avg``. The named schemes only fix
``(scale, mode, distribution)``:

===================  =====  =======  ======================  ===========================
name                 scale  mode     variance                paper
===================  =====  =======  ======================  ===========================
``lecun_*``          1      fan_in   1 / fan_in              LeCun et al. 1998
``glorot_*``         1      fan_avg  2 / (fan_in + fan_out)  Glorot & Bengio 2010
``he_*``             2      fan_in   2 / fan_in              He et al. 2015
``glorot_standard``  1/3    fan_in   1 / (3 fan_in)          Glorot & Bengio 2010, eq. 1
===================  =====  =======  ======================  ===========================

The distribution turns σ into samples:

* ``uniform``: U(−√3·σ, √3·σ). The *limit* √3·σ is not the weight; U(−limit, limit) has std limit/√3.
* ``truncated_normal`` (what ``"normal"`` means, as in Keras): a normal with std σ₀ cut at ±2σ₀,
  where σ₀ = σ / 0.87962566103423978, so that the truncated samples have std exactly σ.
* ``untruncated_normal``: N(0, σ²).

Shapes follow Keras: a kernel is ``(..., in, out)`` and the leading dims form the receptive field,
see :func:`compute_fans`. Every initializer is called as ``init(shape, seed=None, dtype="float32")``
and returns a numpy array; ``init.std(shape)`` gives the exact standard deviation it targets.

This module imports neither TensorFlow nor matplotlib.
"""

from __future__ import annotations

import math

import numpy as np

from . import validate

__all__ = [
    "NAMES", "ALIASES", "Initializer", "Constant", "RandomNormal", "RandomUniform",
    "TruncatedNormal", "VarianceScaling", "Orthogonal", "Identity", "compute_fans", "gain", "get",
    "zeros", "ones", "constant", "random_normal", "random_uniform", "truncated_normal",
    "glorot_uniform", "glorot_normal", "he_uniform", "he_normal", "lecun_uniform", "lecun_normal",
    "orthogonal", "identity", "numpy_rand", "uniform_pm03", "uniform_pm1", "glorot_standard",
]

#: Std of a standard normal truncated to [-2, 2]: the factor Keras divides by so the final std is σ.
TRUNCATION_STD = 0.87962566103423978
_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTRIBUTIONS = ("uniform", "truncated_normal", "untruncated_normal")


# Every public entry point checks its input with :mod:`initlab.validate`, so errors name what is
# valid.

def _fmt(x: float) -> str:
    return f"{x:.4g}"


# ---------------------------------------------------------------------------------------------
# Fans and gains

def compute_fans(shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a kernel in Keras layout ``(..., in, out)``.

    * rank 0: ``(1, 1)``; rank 1: ``(n, n)``; rank 2 ``(in, out)``: ``(in, out)``;
    * rank ≥ 3, e.g. a conv kernel ``(kh, kw, in, out)``: the receptive field
      ``rf = kh·kw`` multiplies both, ``fan_in = in·rf`` and ``fan_out = out·rf``.

    ``fan_in`` counts the inputs that feed one output unit, ``fan_out`` the outputs one input unit
    feeds. Example: a 3×3 conv from 64 to 128 channels has ``compute_fans((3, 3, 64, 128)) ==
    (576, 1152)``.

    Examples
    --------
    >>> compute_fans((300, 200))
    (300, 200)
    >>> compute_fans((3, 3, 64, 128))
    (576, 1152)
    >>> compute_fans((10,)), compute_fans(())
    ((10, 10), (1, 1))
    """
    shape = validate.shape(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    rf = math.prod(shape[:-2])
    return shape[-2] * rf, shape[-1] * rf


_GAINS = {
    "linear": 1.0,
    "sigmoid": 1.0,
    "tanh": 5.0 / 3.0,
    "relu": math.sqrt(2.0),
    "leaky_relu": None,  # depends on the slope, see gain()
    "selu": 0.75,
}


def gain(activation: str, param=None) -> float:
    r"""The recommended gain *g* for an activation, as in PyTorch's ``calculate_gain``.

    Pair it with ``Var w = g² / fan_in`` (``VarianceScaling(scale=g**2)``):

    ===============  ======================  ===========================================
    activation       g                       why
    ===============  ======================  ===========================================
    linear, sigmoid  1                       identity keeps E[z²]; sigmoid has no derived gain
    tanh             5/3                     empirical (slope 1 at 0, but contracts large z)
    relu             √2                      E[ReLU(z)²] = ½E[z²] (He et al. 2015)
    leaky_relu       √(2 / (1 + s²))         E[f(z)²] = ½(1 + s²)E[z²]; ``param`` = slope s, default 0.01
    selu             3/4                     see below
    ===============  ======================  ===========================================

    **SELU.** A self-normalising network (Klambauer et al. 2017) keeps mean 0 and variance 1 only
    with ``Var w = 1/fan_in``, i.e. LeCun's init and gain **1**: the SELU constants α, λ are solved
    for exactly that weight variance. PyTorch's 3/4 is an empirical compromise: it was picked to
    keep gradient norms steadier in rectangular layers, giving up the fixed point. For a SELU net
    use ``lecun_normal`` (or ``gain("linear")``), not ``gain("selu")``.

    Examples
    --------
    >>> import math
    >>> gain("relu") == math.sqrt(2), gain("tanh") == 5 / 3
    (True, True)
    >>> round(gain("leaky_relu", 0.2), 4)                 # √(2 / (1 + 0.2²))
    1.3868
    >>> gain("relu6")
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'relu6'. Did you mean 'relu'? Valid: linear, sigmoid, tanh, relu, leaky_relu, selu.
    """
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a string, one of {', '.join(_GAINS)}; "
                        f"got {type(activation).__name__}")
    key = activation.lower()
    if key not in _GAINS:
        raise ValueError(validate.unknown("activation", activation, _GAINS))
    if key == "leaky_relu":
        s = 0.01 if param is None else validate.real("param (negative slope)", param, low=None)
        return math.sqrt(2.0 / (1.0 + s * s))
    if param is not None:
        raise ValueError(f"param is only used by 'leaky_relu' (its negative slope), "
                         f"not by {activation!r}")
    return _GAINS[key]


# ---------------------------------------------------------------------------------------------
# The initializer classes

class Initializer:
    """Base class: ``init(shape, seed=None, dtype="float32") -> numpy.ndarray``.

    ``dtype`` is float16, float32 or float64 (None means float32, as in Keras); a draw that
    overflows it raises ``ValueError`` instead of returning inf.

    Examples
    --------
    Every initializer is called the same way and knows the std it targets:

    >>> from initlab.initializers import he_normal
    >>> init = he_normal()
    >>> w = init((300, 200), seed=0)
    >>> w.shape, w.dtype
    ((300, 200), dtype('float32'))
    >>> round(init.std((300, 200)), 4), round(float(w.std()), 3)
    (0.0816, 0.082)

    A draw too large for the dtype is an error, not a silent inf:

    >>> from initlab.initializers import RandomNormal
    >>> RandomNormal(stddev=1e6)((4, 4), seed=0, dtype="float16")
    Traceback (most recent call last):
    ...
    ValueError: random_normal overflows float16 for shape (4, 4): use smaller parameters or a wider dtype
    """

    name = "initializer"

    def __call__(self, shape, seed=None, dtype="float32") -> np.ndarray:
        shape, dt, rng = validate.shape(shape), validate.float_dtype(dtype), validate.rng(seed)
        if math.prod(shape) == 0:
            return np.zeros(shape, dtype=dt)
        # numpy samples float32 and float64 natively; float16 is drawn in float32 and cast.
        work = dt if dt != np.float16 else np.dtype(np.float32)
        with np.errstate(over="ignore", invalid="ignore"):
            out = np.asarray(self._sample(shape, rng, work), dtype=dt)  # shape (): 0-d array
        if not np.isfinite(out).all():
            raise ValueError(f"{self.name} overflows {dt.name} for shape {shape}: "
                             f"use smaller parameters or a wider dtype")
        return out

    def std(self, shape) -> float:
        """The standard deviation of one entry of ``init(shape)``."""
        raise NotImplementedError

    def bounds(self, shape) -> tuple[float, float]:
        """The support ``(low, high)`` of one entry; ±inf for an untruncated normal."""
        raise NotImplementedError

    def _sample(self, shape, rng, dtype):
        raise NotImplementedError

    def _formula(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"{self.name}: {self._formula()}"

    def __eq__(self, other):
        return type(self) is type(other) and vars(self) == vars(other)

    def __hash__(self):
        return hash((type(self), tuple(sorted(vars(self).items()))))


def _named(init: Initializer, name: str) -> Initializer:
    init.name = name
    return init


class Constant(Initializer):
    """w = value everywhere. ``zeros`` and ``ones`` are its presets.

    Any constant, zero or not, gives every unit of a layer the same weights, so the units compute
    the same thing and receive the same gradient: symmetry is never broken (chapter 1).

    Examples
    --------
    >>> from initlab.initializers import Constant
    >>> Constant(0.5)((2, 3))
    array([[0.5, 0.5, 0.5],
           [0.5, 0.5, 0.5]], dtype=float32)
    >>> Constant(0.5).std((2, 3))
    0.0
    """

    def __init__(self, value=0.0):
        self.value = validate.real("value", value, low=None)
        self.name = "constant"

    def _sample(self, shape, rng, dtype):
        return np.full(shape, self.value, dtype=dtype)

    def std(self, shape):
        validate.shape(shape)
        return 0.0

    def bounds(self, shape):
        validate.shape(shape)
        return self.value, self.value

    def _formula(self):
        return f"w = {_fmt(self.value)}"


class RandomNormal(Initializer):
    """w ~ N(mean, stddev²), whatever the shape. Keras' default stddev is 0.05.

    Examples
    --------
    The std is 0.05 for a 10×10 layer and for a 1000×1000 one alike:

    >>> from initlab.initializers import RandomNormal
    >>> RandomNormal().std((10, 10)), RandomNormal().std((1000, 1000))
    (0.05, 0.05)
    >>> w = RandomNormal(stddev=0.05)((1000, 1000), seed=0)
    >>> round(float(w.std()), 3)
    0.05
    """

    def __init__(self, mean=0.0, stddev=0.05):
        self.mean = validate.real("mean", mean, low=None)
        self.stddev = validate.real("stddev", stddev, low=0, low_open=False)
        self.name = "random_normal"

    def _sample(self, shape, rng, dtype):
        return self.mean + self.stddev * rng.standard_normal(shape, dtype=dtype)

    def std(self, shape):
        validate.shape(shape)
        return self.stddev

    def bounds(self, shape):
        validate.shape(shape)
        return (-math.inf, math.inf) if self.stddev else (self.mean, self.mean)

    def _formula(self):
        return f"w ~ N({_fmt(self.mean)}, {_fmt(self.stddev)}²)"


class RandomUniform(Initializer):
    """w ~ U(minval, maxval), whatever the shape; std = (maxval − minval)/√12.

    Keras' default is U(−0.05, 0.05). The historical heuristics are presets of it:
    ``numpy_rand`` U[0, 1) (what ``np.random.random`` draws), ``uniform_pm03`` U[−0.3, 0.3] and
    ``uniform_pm1`` U[−1, 1]. None of them looks at the layer size, which is their flaw.

    Examples
    --------
    The std of U(−0.05, 0.05) is 0.1/√12:

    >>> import math
    >>> from initlab.initializers import RandomUniform
    >>> init = RandomUniform(-0.05, 0.05)
    >>> math.isclose(init.std((10, 10)), 0.1 / math.sqrt(12))
    True
    >>> init.bounds((10, 10))
    (-0.05, 0.05)
    """

    def __init__(self, minval=-0.05, maxval=0.05):
        self.minval = validate.real("minval", minval, low=None)
        self.maxval = validate.real("maxval", maxval, low=None)
        if self.maxval < self.minval:
            raise ValueError(f"need minval <= maxval, got minval={minval}, maxval={maxval}")
        if not math.isfinite(self.maxval - self.minval):
            raise ValueError(f"maxval - minval must be finite, got {minval}, {maxval}")
        self.name = "random_uniform"

    def _sample(self, shape, rng, dtype):
        return self.minval + (self.maxval - self.minval) * rng.random(shape, dtype=dtype)

    def std(self, shape):
        validate.shape(shape)
        return (self.maxval - self.minval) / math.sqrt(12.0)

    def bounds(self, shape):
        validate.shape(shape)
        return self.minval, self.maxval

    def _formula(self):
        return f"w ~ U({_fmt(self.minval)}, {_fmt(self.maxval)})"


def _truncated_standard_normal(shape, rng, dtype) -> np.ndarray:
    """N(0, 1) conditioned on [-2, 2], by rejection (95.4 % of draws are kept)."""
    out = rng.standard_normal(shape, dtype=dtype).ravel()
    bad = np.flatnonzero(np.abs(out) > 2.0)
    while bad.size:
        out[bad] = rng.standard_normal(bad.size, dtype=dtype)
        bad = bad[np.abs(out[bad]) > 2.0]
    return out.reshape(shape)


class TruncatedNormal(Initializer):
    """N(mean, stddev²) cut at mean ± 2·stddev, with **no** correction, as in Keras.

    The samples' std is therefore 0.8796·stddev, not stddev. Contrast ``VarianceScaling``, which
    divides by 0.8796 first so that its truncated samples have exactly the target std.

    Examples
    --------
    >>> from initlab.initializers import TruncatedNormal
    >>> init = TruncatedNormal(stddev=1.0)
    >>> round(init.std((100, 100)), 4), init.bounds((100, 100))
    (0.8796, (-2.0, 2.0))
    >>> w = init((1000, 1000), seed=0)
    >>> round(float(w.std()), 2), bool(abs(w).max() <= 2)
    (0.88, True)
    """

    def __init__(self, mean=0.0, stddev=0.05):
        self.mean = validate.real("mean", mean, low=None)
        self.stddev = validate.real("stddev", stddev, low=0, low_open=False)
        self.name = "truncated_normal"

    def _sample(self, shape, rng, dtype):
        return self.mean + self.stddev * _truncated_standard_normal(shape, rng, dtype)

    def std(self, shape):
        validate.shape(shape)
        return TRUNCATION_STD * self.stddev

    def bounds(self, shape):
        validate.shape(shape)
        return self.mean - 2 * self.stddev, self.mean + 2 * self.stddev

    def _formula(self):
        return f"w ~ N({_fmt(self.mean)}, {_fmt(self.stddev)}²) truncated at ±2·{_fmt(self.stddev)}"


class VarianceScaling(Initializer):
    r"""The one core behind LeCun, Glorot and He: mean 0, variance ``scale / max(1, fan)``.

    * ``scale`` (a number > 0) is the numerator: 1 for LeCun and Glorot, 2 for He, g² for a
      gain g (see :func:`gain`).
    * ``mode`` is ``"fan_in"`` (preserves the forward signal), ``"fan_out"`` (preserves the
      backward signal) or ``"fan_avg"`` = (fan_in + fan_out)/2, Glorot's compromise.
    * ``distribution`` is ``"truncated_normal"`` (alias ``"normal"``), ``"untruncated_normal"``
      or ``"uniform"``: how σ becomes samples. All three have exactly std σ.

    Example: ``VarianceScaling(2.0, "fan_in", "truncated_normal")`` is ``he_normal``.

    Examples
    --------
    He's init for a 300 → 200 layer: σ = √(2 / 300).

    >>> import math
    >>> from initlab.initializers import VarianceScaling
    >>> init = VarianceScaling(2.0, "fan_in", "truncated_normal")
    >>> math.isclose(init.std((300, 200)), math.sqrt(2 / 300))
    True

    Glorot's fan_avg: σ = √(1 / ((300 + 200) / 2)) = √(2 / 500).

    >>> math.isclose(VarianceScaling(1.0, "fan_avg").std((300, 200)), math.sqrt(2 / 500))
    True
    >>> VarianceScaling(mode="fan_sum")
    Traceback (most recent call last):
    ...
    ValueError: ...fan_in, fan_out, fan_avg...
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal"):
        self.scale = validate.real("scale", scale)
        mode = validate.choice("mode", mode, _MODES)
        dist = validate.choice("distribution", distribution, _DISTRIBUTIONS + ("normal",),
                               aliases={"normal": "truncated_normal"})
        self.mode, self.distribution = mode, dist
        self.name = "variance_scaling"

    def std(self, shape) -> float:
        """σ = √(scale / max(1, fan))."""
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[self.mode]
        return math.sqrt(self.scale / max(1.0, fan))

    def bounds(self, shape):
        s = self.std(shape)
        if self.distribution == "uniform":
            return -math.sqrt(3.0) * s, math.sqrt(3.0) * s
        if self.distribution == "truncated_normal":
            return -2 * s / TRUNCATION_STD, 2 * s / TRUNCATION_STD
        return -math.inf, math.inf

    def _sample(self, shape, rng, dtype):
        s = self.std(shape)
        if self.distribution == "uniform":
            limit = math.sqrt(3.0) * s
            return limit * (2 * rng.random(shape, dtype=dtype) - 1)
        if self.distribution == "truncated_normal":
            return (s / TRUNCATION_STD) * _truncated_standard_normal(shape, rng, dtype)
        return s * rng.standard_normal(shape, dtype=dtype)

    def _formula(self):
        var = {"fan_in": f"{_fmt(self.scale)} / fan_in", "fan_out": f"{_fmt(self.scale)} / fan_out",
               "fan_avg": f"{_fmt(2 * self.scale)} / (fan_in + fan_out)"}[self.mode]
        draw = {"uniform": "w ~ U(−√3·σ, √3·σ)",
                "truncated_normal": "w ~ N(0, σ₀²) truncated at ±2σ₀, σ₀ = σ/0.8796",
                "untruncated_normal": "w ~ N(0, σ²)"}[self.distribution]
        return f"{draw}, σ² = {var}"


class Orthogonal(Initializer):
    """A (semi-)orthogonal matrix times ``gain`` (Saxe et al. 2014).

    The leading dims are flattened into rows, ``rows = prod(shape[:-1])``, ``cols = shape[-1]``,
    as in Keras; the QR factor of a Gaussian matrix, with the signs of R's diagonal folded in, is
    Haar-distributed. All singular values equal ``gain``, so products of such matrices neither
    shrink nor grow any direction. Each entry has std ``gain / √max(rows, cols)``. Rank ≥ 2 only.

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.initializers import Orthogonal
    >>> w = Orthogonal()((4, 4), seed=0)
    >>> bool(np.allclose(w.T @ w, np.eye(4), atol=1e-6))
    True
    >>> np.linalg.svd(Orthogonal(gain=2.0)((6, 3), seed=0), compute_uv=False).round(4)
    array([2., 2., 2.], dtype=float32)
    >>> Orthogonal().std((4, 4))
    0.5
    """

    def __init__(self, gain=1.0):
        self.gain = validate.real("gain", gain, low=None)
        self.name = "orthogonal"

    @staticmethod
    def _rows_cols(shape):
        shape = validate.shape(shape)
        if len(shape) < 2:
            raise ValueError(f"orthogonal needs a shape of rank >= 2, got {shape!r}")
        return math.prod(shape[:-1]), shape[-1]

    def __call__(self, shape, seed=None, dtype="float32"):
        self._rows_cols(shape)
        return super().__call__(shape, seed, dtype)

    def _sample(self, shape, rng, dtype):
        rows, cols = self._rows_cols(shape)
        a = rng.standard_normal((max(rows, cols), min(rows, cols)))
        q, r = np.linalg.qr(a)
        q *= np.sign(np.diag(r))
        if rows < cols:
            q = q.T
        return (self.gain * q).reshape(shape).astype(dtype)

    def std(self, shape):
        rows, cols = self._rows_cols(shape)
        return abs(self.gain) / math.sqrt(max(1, rows, cols))

    def bounds(self, shape):
        self._rows_cols(shape)
        return -abs(self.gain), abs(self.gain)

    def _formula(self):
        return f"W = {_fmt(self.gain)}·Q, QᵀQ = I (Q from the QR of a Gaussian matrix)"


class Identity(Initializer):
    """``gain`` times the identity matrix (rectangular allowed). 2-D shapes only.

    Examples
    --------
    >>> from initlab.initializers import Identity
    >>> Identity(gain=2.0)((2, 3))
    array([[2., 0., 0.],
           [0., 2., 0.]], dtype=float32)
    """

    def __init__(self, gain=1.0):
        self.gain = validate.real("gain", gain, low=None)
        self.name = "identity"

    @staticmethod
    def _check(shape):
        shape = validate.shape(shape)
        if len(shape) != 2:
            raise ValueError(f"identity needs a 2-D shape (rows, cols), got {shape!r}")
        return shape

    def __call__(self, shape, seed=None, dtype="float32"):
        self._check(shape)
        return super().__call__(shape, seed, dtype)

    def _sample(self, shape, rng, dtype):
        return (self.gain * np.eye(*shape)).astype(dtype)

    def std(self, shape):
        rows, cols = self._check(shape)
        p = min(rows, cols) / max(1, rows * cols)  # fraction of entries equal to gain
        return abs(self.gain) * math.sqrt(p * (1 - p))

    def bounds(self, shape):
        self._check(shape)
        return min(0.0, self.gain), max(0.0, self.gain)

    def _formula(self):
        return f"W = {_fmt(self.gain)}·I"


# ---------------------------------------------------------------------------------------------
# Named presets: each fixes the parameters of one class above.

def zeros():
    """w = 0. Breaks nothing and learns almost nothing: see chapter 1.

    Examples
    --------
    >>> init = zeros()
    >>> init
    zeros: w = 0
    >>> init((2, 3))
    array([[0., 0., 0.],
           [0., 0., 0.]], dtype=float32)
    """
    return _named(Constant(0.0), "zeros")


def ones():
    """w = 1. Symmetric like zeros, and explodes with depth as well.

    Examples
    --------
    >>> ones()((2, 2))
    array([[1., 1.],
           [1., 1.]], dtype=float32)
    """
    return _named(Constant(1.0), "ones")


def constant(value=0.0):
    """w = value.

    Examples
    --------
    >>> constant(0.1)
    constant: w = 0.1
    >>> constant(0.1).std((300, 200))
    0.0
    """
    return Constant(value)


def random_normal(mean=0.0, stddev=0.05):
    """N(mean, stddev²); Keras' ``RandomNormal`` default, the notes' "small random" init.

    Examples
    --------
    >>> random_normal()
    random_normal: w ~ N(0, 0.05²)
    >>> random_normal().std((300, 200)), random_normal().std((3000, 2000))
    (0.05, 0.05)
    """
    return RandomNormal(mean, stddev)


def random_uniform(minval=-0.05, maxval=0.05):
    """U(minval, maxval); Keras' ``RandomUniform`` default.

    Examples
    --------
    >>> random_uniform()
    random_uniform: w ~ U(-0.05, 0.05)
    >>> round(random_uniform().std((300, 200)), 4)    # 0.1 / √12
    0.0289
    """
    return RandomUniform(minval, maxval)


def truncated_normal(mean=0.0, stddev=0.05):
    """N(mean, stddev²) cut at ±2·stddev, no correction (std 0.8796·stddev), as in Keras.

    Examples
    --------
    >>> round(truncated_normal().std((300, 200)), 4)    # 0.8796 × 0.05
    0.044
    """
    return TruncatedNormal(mean, stddev)


def _vs(name, scale, mode, distribution, doc):
    def preset():
        return _named(VarianceScaling(scale, mode, distribution), name)
    preset.__name__ = preset.__qualname__ = name
    preset.__doc__ = doc
    return preset


glorot_uniform = _vs("glorot_uniform", 1.0, "fan_avg", "uniform", r"""
    Glorot & Bengio (2010): U(−limit, limit), limit = √(6 / (fan_in + fan_out)), Var w = limit²/3.

    That variance is 2/(fan_in + fan_out), the harmonic mean of 1/fan_in and 1/fan_out: the
    compromise between the forward condition (fan_in·Var w = 1) and the backward one
    (fan_out·Var w = 1). For tanh, softsign and linear layers; Keras' default for Dense and Conv.
    The weights' std is limit/√3, not the limit.

    Examples
    --------
    >>> import math
    >>> math.isclose(glorot_uniform().std((300, 200)), math.sqrt(2 / 500))
    True
    >>> low, high = glorot_uniform().bounds((300, 200))
    >>> math.isclose(high, math.sqrt(6 / 500))
    True
    """)
glorot_normal = _vs("glorot_normal", 1.0, "fan_avg", "truncated_normal", r"""
    Glorot & Bengio (2010), normal form: Var w = 2/(fan_in + fan_out).

    As in Keras this is a **truncated** normal (±2σ₀, σ₀ = σ/0.8796) whose std is exactly σ.

    Examples
    --------
    >>> import math
    >>> math.isclose(glorot_normal().std((300, 200)), math.sqrt(2 / 500))
    True
    >>> w = glorot_normal()((300, 200), seed=0)
    >>> round(float(w.std()), 3), round(math.sqrt(2 / 500), 3)
    (0.063, 0.063)
    """)
he_uniform = _vs("he_uniform", 2.0, "fan_in", "uniform", r"""
    He et al. (2015): U(−limit, limit) with limit = √(6 / fan_in), so Var w = limit²/3 = 2/fan_in.

    ReLU zeroes half of its input, E[ReLU(z)²] = ½E[z²]; the factor 2 restores it. For ReLU-family
    layers (for leaky ReLU with negative slope s, use scale 2/(1 + s²)).

    Examples
    --------
    >>> import math
    >>> low, high = he_uniform().bounds((300, 200))
    >>> math.isclose(high, math.sqrt(6 / 300))
    True
    >>> math.isclose(he_uniform().std((300, 200)), math.sqrt(2 / 300))
    True
    """)
he_normal = _vs("he_normal", 2.0, "fan_in", "truncated_normal", r"""
    He et al. (2015), normal form: Var w = 2/fan_in, for ReLU-family layers.

    As in Keras this is a **truncated** normal (±2σ₀, σ₀ = σ/0.8796) with std exactly √(2/fan_in),
    not N(0, 2/fan_in).

    Examples
    --------
    >>> import math
    >>> math.isclose(he_normal().std((300, 200)), math.sqrt(2 / 300))
    True
    >>> w = he_normal()((300, 200), seed=0)
    >>> round(float(w.std()), 3), round(math.sqrt(2 / 300), 3)
    (0.082, 0.082)
    """)
lecun_uniform = _vs("lecun_uniform", 1.0, "fan_in", "uniform", r"""
    LeCun et al. (1998): U(−limit, limit) with limit = √(3 / fan_in), so Var w = limit²/3 = 1/fan_in.

    Examples
    --------
    >>> import math
    >>> low, high = lecun_uniform().bounds((300, 200))
    >>> math.isclose(high, math.sqrt(3 / 300))
    True
    """)
lecun_normal = _vs("lecun_normal", 1.0, "fan_in", "truncated_normal", r"""
    LeCun et al. (1998): Var w = 1/fan_in, truncated normal as in Keras.

    The init self-normalising SELU networks need (Klambauer et al. 2017); also the natural partner
    of LeCun's scaled tanh 1.7159·tanh(2x/3).

    Examples
    --------
    >>> import math
    >>> math.isclose(lecun_normal().std((300, 200)), math.sqrt(1 / 300))
    True
    """)
glorot_standard = _vs("glorot_standard", 1.0 / 3.0, "fan_in", "uniform", r"""
    The "standard" init of Glorot & Bengio (2010, eq. 1): U(−1/√fan_in, 1/√fan_in).

    Var w = 1/(3·fan_in), a third of LeCun's, so a tanh net shrinks its signal layer by layer;
    Glorot & Bengio replaced it by their normalized init. It is also PyTorch's ``nn.Linear`` and
    ``nn.Conv*`` default (``kaiming_uniform_`` with its argument ``a=math.sqrt(5)``, the negative slope
    s = √5 of a leaky ReLU, whose gain² = 2/(1 + s²) = 2/6 = 1/3).

    Examples
    --------
    >>> import math
    >>> low, high = glorot_standard().bounds((300, 200))
    >>> math.isclose(high, 1 / math.sqrt(300))
    True
    >>> round(300 * glorot_standard().std((300, 200)) ** 2, 4)      # fan_in · Var w = 1/3
    0.3333
    """)


def orthogonal(gain=1.0):
    """A random (semi-)orthogonal matrix times gain (Saxe et al. 2014); see :class:`Orthogonal`.

    Examples
    --------
    >>> orthogonal()
    orthogonal: W = 1·Q, QᵀQ = I (Q from the QR of a Gaussian matrix)
    >>> orthogonal()((4,))
    Traceback (most recent call last):
    ...
    ValueError: orthogonal needs a shape of rank >= 2, got (4,)
    """
    return Orthogonal(gain)


def identity(gain=1.0):
    """gain · I for 2-D shapes; see :class:`Identity`.

    Examples
    --------
    >>> identity()((2, 2))
    array([[1., 0.],
           [0., 1.]], dtype=float32)
    """
    return Identity(gain)


def numpy_rand():
    """U[0, 1), what ``np.random.random`` draws: all weights positive, mean ½. A historical heuristic.

    Examples
    --------
    >>> w = numpy_rand()((300, 200), seed=0)
    >>> bool(w.min() >= 0), round(float(w.mean()), 2)
    (True, 0.5)
    """
    return _named(RandomUniform(0.0, 1.0), "numpy_rand")


def uniform_pm03():
    """U[−0.3, 0.3]: a historical "small random values" heuristic, blind to the layer size.

    Examples
    --------
    >>> round(uniform_pm03().std((10, 10)), 4), round(uniform_pm03().std((1000, 1000)), 4)
    (0.1732, 0.1732)
    """
    return _named(RandomUniform(-0.3, 0.3), "uniform_pm03")


def uniform_pm1():
    """U[−1, 1]: a historical heuristic, blind to the layer size.

    Examples
    --------
    >>> round(uniform_pm1().std((300, 200)), 4)    # 2 / √12 = 1 / √3
    0.5774
    """
    return _named(RandomUniform(-1.0, 1.0), "uniform_pm1")


_PRESETS = {f.__name__: f for f in (
    zeros, ones, constant, random_normal, random_uniform, truncated_normal,
    glorot_uniform, glorot_normal, he_uniform, he_normal, lecun_uniform, lecun_normal,
    orthogonal, identity, numpy_rand, uniform_pm03, uniform_pm1, glorot_standard)}

#: The canonical names :func:`get` accepts.
NAMES = tuple(_PRESETS)

#: Other spellings :func:`get` accepts, and the canonical name each stands for.
ALIASES = {
    "xavier_uniform": "glorot_uniform", "xavier_normal": "glorot_normal",
    "kaiming_uniform": "he_uniform", "kaiming_normal": "he_normal",
    "zero": "zeros", "one": "ones", "pytorch_linear": "glorot_standard",
}


def _snake(name: str) -> str:
    """'GlorotUniform' -> 'glorot_uniform', so Keras' class names work too."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")


def get(identifier) -> Initializer:
    """Return the initializer for a name (``"he_normal"``, ``"HeNormal"``, ``"kaiming_normal"``),
    or the initializer itself if one is passed.

    Unknown names raise ``ValueError`` listing the valid names and the closest match.

    Examples
    --------
    Keras' class names and PyTorch's names work too:

    >>> get("he_normal") == get("HeNormal") == get("kaiming_normal")
    True
    >>> get("he_norml")
    Traceback (most recent call last):
    ...
    ValueError: unknown initializer 'he_norml'. Did you mean 'he_normal'? Valid: ...
    """
    if isinstance(identifier, Initializer):
        return identifier
    if not isinstance(identifier, str):
        raise TypeError(f"expected an initializer name (one of {', '.join(NAMES)}) or an "
                        f"initlab Initializer, got {type(identifier).__name__}")
    key = identifier.strip().replace("-", "_").replace(" ", "_")
    key = key.lower() if "_" in key or key.islower() or key.isupper() else _snake(key)
    key = ALIASES.get(key, key)
    if key not in _PRESETS:
        raise ValueError(validate.unknown("initializer", identifier, NAMES + tuple(ALIASES)))
    return _PRESETS[key]()

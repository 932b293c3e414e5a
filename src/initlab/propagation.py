r"""Signal propagation through a deep fully connected network, simulated and predicted.

A network of ``depth`` weight layers with widths :math:`n_0, n_1, \dots, n_L` (``L = depth``),
zero bias and one activation *f* computes, for an input batch :math:`a_0 = x`,

.. math::  z_l = a_{l-1} W_l, \qquad a_l = f(z_l), \qquad l = 1, \dots, L,

with :math:`W_l` of shape :math:`(n_{l-1}, n_l)` drawn by an initializer of
:mod:`initlab.initializers` (times an optional ``scale``). The backward pass starts from a random
unit-variance gradient :math:`g_L \sim N(0, 1)` with respect to the last *activation* (the gradient
of the loss :math:`\mathcal{L} = \sum a_L \odot g_L`) and applies the chain rule

.. math::  \frac{\partial\mathcal{L}}{\partial z_l} = \frac{\partial\mathcal{L}}{\partial a_l}
           \odot f'(z_l), \qquad
           \frac{\partial\mathcal{L}}{\partial a_{l-1}} = \frac{\partial\mathcal{L}}{\partial z_l}
           W_l^\top .

:func:`simulate` runs both passes in float32 and reports per-layer statistics (the std of
:math:`z_l`, of :math:`a_l` and of :math:`\partial\mathcal{L}/\partial z_l`, the % of saturated and
of dead units); it is vectorised so that a live widget can call it on every slider move.

:func:`predict_variance` gives the mean-field theory for the same network. With zero-mean i.i.d.
weights independent of the signal,

.. math::  q_l \equiv E[z_l^2] = n_{l-1}\,\mathrm{Var}(w_l)\,E[f(z_{l-1})^2], \qquad
           q_1 = n_0\,\mathrm{Var}(w_1)\,E[x^2],

(LeCun et al. 1998; Glorot & Bengio 2010) and backwards, with :math:`r_l = E[(\partial\mathcal{L}/
\partial z_l)^2]`,

.. math::  r_L = E[f'(z_L)^2], \qquad r_l = E[f'(z_l)^2]\, n_{l+1}\,\mathrm{Var}(w_{l+1})\, r_{l+1},

where each :math:`z_l \sim N(0, q_l)`. It is the **second moment** :math:`E[f(z)^2]` that carries
the signal to the next layer, not the variance of :math:`f(z)`: for ReLU, :math:`E[\mathrm{ReLU}
(z)^2] = \tfrac12 E[z^2]`, whence He et al. (2015)'s :math:`\mathrm{Var}(w) = 2/n` (while
:math:`\mathrm{Var}[\mathrm{ReLU}(z)] \approx 0.34\,\mathrm{Var}\,z`). For sigmoid, whose output has
mean about ½, :math:`E[\sigma(z)^2] = \mathrm{Var}\,\sigma(z) + E[\sigma(z)]^2` is dominated by the
mean: that term is included, and it is exactly where "Var" and ":math:`E[\cdot^2]`" differ.

Activations (:data:`ACTIVATIONS`):

===============  ==============================================  =======================
name             f(z)                                            reference
===============  ==============================================  =======================
``linear``       z
``sigmoid``      1 / (1 + e^(−z)) = ½(1 + tanh(z/2))
``tanh``         tanh z
``relu``         max(z, 0)                                       He et al. 2015
``leaky_relu``   z if z > 0 else 0.01·z                          Maas et al. 2013
``selu``         λ·z if z > 0 else λα(e^z − 1)                   Klambauer et al. 2017
``scaled_tanh``  1.7159·tanh(2z/3)                               LeCun et al. 1998
===============  ==============================================  =======================

with SELU's α ≈ 1.6733 and λ ≈ 1.0507 (:data:`SELU_ALPHA`, :data:`SELU_LAMBDA`).

References
----------
* Y. LeCun, L. Bottou, G. Orr, K.-R. Müller (1998). Efficient BackProp. *Neural Networks: Tricks
  of the Trade*, LNCS 1524.
* X. Glorot, Y. Bengio (2010). Understanding the difficulty of training deep feedforward neural
  networks. *AISTATS*.
* K. He, X. Zhang, S. Ren, J. Sun (2015). Delving deep into rectifiers: surpassing human-level
  performance on ImageNet classification. *ICCV*.
* G. Klambauer, T. Unterthiner, A. Mayr, S. Hochreiter (2017). Self-normalizing neural networks.
  *NeurIPS*.
* A. Maas, A. Hannun, A. Ng (2013). Rectifier nonlinearities improve neural network acoustic
  models. *ICML Workshop on Deep Learning for Audio, Speech and Language Processing*.
* B. Hanin, D. Rolnick (2018). How to start training: the effect of initialization and
  architecture. *NeurIPS*.

This module imports only numpy (no TensorFlow, Keras, scipy or matplotlib).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import numbers
from collections.abc import Sequence

import numpy as np

from . import initializers as _initializers
from . import validate

__all__ = [
    "ACTIVATIONS", "SELU_ALPHA", "SELU_LAMBDA", "LECUN_TANH_A", "LECUN_TANH_B", "LEAKY_SLOPE",
    "SATURATION_THRESHOLD", "SAMPLE_SIZE", "MAX_BYTES", "Simulation", "Samples", "Prediction",
    "simulate", "sample_weights", "predict_variance", "second_moment_map", "activate", "derivative",
]

#: The activations :func:`simulate` and :func:`predict_variance` accept.
ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "leaky_relu", "selu", "scaled_tanh")
_ALIASES = {"identity": "linear", "lecun_tanh": "scaled_tanh", "leakyrelu": "leaky_relu",
            "logistic": "sigmoid"}

#: SELU's α and λ (Klambauer et al. 2017, eq. 14), to full double precision.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_LAMBDA = 1.0507009873554804934193349852946
#: LeCun et al. (1998)'s scaled tanh ``A·tanh(B·z)``: f(±1) = ±1 and f'(0) = A·B ≈ 1.14.
LECUN_TANH_A = 1.7159
LECUN_TANH_B = 2.0 / 3.0
#: Negative slope of ``leaky_relu``.
LEAKY_SLOPE = 0.01

#: A unit of a bounded activation counts as *saturated* when its output is within
#: ``1 − threshold`` of the bounds, measured on the symmetric output scaled to [−1, 1]:
#: ``|tanh z| > 0.97``, ``|a| > 0.97·1.7159`` for scaled_tanh, and for sigmoid
#: ``|2σ(z) − 1| > 0.94``, i.e. σ outside [0.03, 0.97]. There f'(z) has fallen below 6 % (tanh)
#: and 12 % (sigmoid) of its peak.
SATURATION_THRESHOLD = {"tanh": 0.97, "scaled_tanh": 0.97, "sigmoid": 0.94}

#: Values kept per layer and per signal by ``simulate(..., keep_samples=True)``.
SAMPLE_SIZE = 2000

#: :func:`simulate` refuses runs whose arrays would need more memory than this (bytes), so that a
#: slider pushed too far gives a clear error instead of an out-of-memory kill (Binder has 2 GB).
MAX_BYTES = 1 << 30

_FLOATS = ("float32", "float64")
_BOUNDED = {  # name: (c, k) with f(z) = A·tanh(c·z) + offset and f'(z) = k·(1 − tanh(c·z)²)
    "tanh": (1.0, 1.0),
    "scaled_tanh": (LECUN_TANH_B, LECUN_TANH_A * LECUN_TANH_B),
    "sigmoid": (0.5, 0.25),
}


# ---------------------------------------------------------------------------------------------
# Reference activations in float64 (used by the theory; the simulation has fast float32 twins).

def _check_activation(activation) -> str:
    return validate.choice("activation", activation, ACTIVATIONS, _ALIASES)


def _sech2(z):
    """sech²(z) = 4e^(−2|z|)/(1 + e^(−2|z|))², without overflow or cancellation."""
    e = np.exp(-2.0 * np.abs(z))
    return 4.0 * e / (1.0 + e) ** 2


def activate(activation: str, z) -> np.ndarray:
    """f(z) for one of :data:`ACTIVATIONS`, in float64 (the reference the simulation follows).

    Examples
    --------
    >>> import numpy as np
    >>> activate("relu", np.array([-1.0, 0.0, 2.0]))
    array([0., 0., 2.])
    >>> activate("tanh", np.array([0.0, 1.0])).round(4)
    array([0.    , 0.7616])
    """
    name = _check_activation(activation)
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return z.copy()
    if name == "sigmoid":
        return 0.5 * (1.0 + np.tanh(0.5 * z))
    if name == "tanh":
        return np.tanh(z)
    if name == "scaled_tanh":
        return LECUN_TANH_A * np.tanh(LECUN_TANH_B * z)
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "leaky_relu":
        return np.where(z > 0, z, LEAKY_SLOPE * z)
    return SELU_LAMBDA * np.where(z > 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0)))  # selu


def derivative(activation: str, z) -> np.ndarray:
    """f'(z) for one of :data:`ACTIVATIONS`, in float64. At the ReLU kink f'(0) = 0 (z ≤ 0 is
    inactive), the convention of Keras and PyTorch.

    Examples
    --------
    >>> import numpy as np
    >>> derivative("relu", np.array([-1.0, 0.0, 2.0]))     # f'(0) = 0
    array([0., 0., 1.])
    >>> derivative("tanh", np.array([0.0, 1.0])).round(4)  # 1 − tanh²
    array([1.  , 0.42])
    """
    name = _check_activation(activation)
    z = np.asarray(z, dtype=np.float64)
    if name == "linear":
        return np.ones_like(z)
    if name in _BOUNDED:
        c, k = _BOUNDED[name]
        return k * _sech2(c * z)
    if name == "relu":
        return (z > 0).astype(np.float64)
    if name == "leaky_relu":
        return np.where(z > 0, 1.0, LEAKY_SLOPE)
    return SELU_LAMBDA * np.where(z > 0, 1.0, SELU_ALPHA * np.exp(np.minimum(z, 0.0)))  # selu


# ---------------------------------------------------------------------------------------------
# Input checking: every error names what is valid.

def _check_widths(depth, width, widths) -> tuple[int, ...]:
    if widths is None:
        depth = validate.integer("depth", depth, low=1)
        width = validate.integer("width", width, low=1)
        return (width,) * (depth + 1)
    if isinstance(widths, (str, bytes)) or not isinstance(widths, (Sequence, np.ndarray)):
        raise TypeError(f"widths must be a list of positive ints [n_0 (input), n_1, ..., n_depth], "
                        f"got {type(widths).__name__} {widths!r}")
    if len(widths) < 2:
        raise ValueError(f"widths must list the input width and at least one layer width, "
                         f"e.g. [784, 256, 10]; got {list(widths)!r}")
    for w in widths:
        what = (f"widths must be a list of positive ints [n_0 (input), n_1, ..., n_depth], "
                f"got {w!r} in {list(widths)!r}")
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, numbers.Integral):
            raise TypeError(what)
        if w < 1:
            raise ValueError(what)
    return tuple(int(w) for w in widths)


def _check_input(x, batch, n_in, dt):
    """Return (x or None, batch)."""
    if batch is not None:
        batch = validate.integer("batch", batch, low=2)
    if x is None:
        return None, 256 if batch is None else batch
    if isinstance(x, (str, bytes)):
        raise TypeError(f"x must be a real array of shape (batch, {n_in}), got a string")
    try:
        arr = np.asarray(x)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise TypeError(f"x must be a real array of shape (batch, {n_in}); "
                        f"could not convert it: {exc}") from None
    if arr.dtype.kind not in "iuf":
        raise TypeError(f"x must be a real array of shape (batch, {n_in}), "
                        f"got dtype {arr.dtype}")
    if arr.ndim != 2 or arr.shape[1] != n_in:
        raise ValueError(f"x must have shape (batch, n_0) = (batch, {n_in}) (n_0 = widths[0], or "
                         f"width), got shape {arr.shape}")
    if arr.shape[0] < 2:
        raise ValueError(f"x needs a batch of at least 2 rows, got shape {arr.shape}")
    if batch is not None and batch != arr.shape[0]:
        raise ValueError(f"batch={batch} disagrees with x, which has {arr.shape[0]} rows; "
                         f"pass one or make them agree")
    if not np.isfinite(arr).all():
        raise ValueError("x must be finite (it contains inf or NaN)")
    with np.errstate(over="ignore"):
        arr = np.ascontiguousarray(arr, dtype=dt)
    if not np.isfinite(arr).all():
        raise ValueError(f"x overflows {dt.name}")
    return arr, arr.shape[0]


def _weight_mean(init, shape) -> float:
    """The mean of the weights, for the initializers the package ships; 0 for unknown ones."""
    I = _initializers
    if isinstance(init, I.Constant):
        return init.value
    if isinstance(init, (I.RandomNormal, I.TruncatedNormal)):
        return init.mean
    if isinstance(init, I.RandomUniform):
        return (init.minval + init.maxval) / 2
    if isinstance(init, I.Identity):
        return init.gain * min(shape) / max(1, shape[0] * shape[1])
    return 0.0


# ---------------------------------------------------------------------------------------------
# Results

def _frozen(a) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    a.setflags(write=False)
    return a


@dataclasses.dataclass(frozen=True, eq=False)
class Samples:
    """Small per-layer subsamples for histograms: ``pre[l]``, ``act[l]`` and ``grad[l]`` hold at
    most :data:`SAMPLE_SIZE` values of z, a and ∂L/∂z of layer ``l + 1`` (the same fixed set of
    (example, unit) positions for every layer). Layers that were not computed (after an overflow)
    hold empty arrays.

    Examples
    --------
    >>> sim = simulate(depth=10, activation="relu", seed=0, keep_samples=True)
    >>> len(sim.samples.pre), sim.samples.pre[0].shape      # one array per layer
    (10, (2000,))
    >>> float(sim.samples.act[0].min())                     # ReLU outputs are never negative
    0.0
    """

    pre: tuple
    act: tuple
    grad: tuple


class _PerLayer:
    """Layer numbers and the last/first ratios, shared by :class:`Simulation` and
    :class:`Prediction` (both hold per-layer ``pre_std``, ``act_std`` and ``grad_std``)."""

    @property
    def layers(self) -> np.ndarray:
        """Layer numbers 1..depth, the x axis of the per-layer plots."""
        return np.arange(1, self.depth + 1)

    @property
    def ratio(self) -> float | None:
        """The std of the pre-activations at the last layer over that at layer 1 (pre_std last /
        first). He et al. (2015)'s derivation predicts 2^-14.5 for 30 ReLU layers with
        Var w = 1/n; the paper reports training curves, not this ratio. None when undefined
        (0/0, inf/inf)."""
        return _ratio(self.pre_std[-1], self.pre_std[0])

    @property
    def act_ratio(self) -> float | None:
        """act_std last / first; None when undefined."""
        return _ratio(self.act_std[-1], self.act_std[0])

    @property
    def grad_ratio(self) -> float | None:
        """grad_std **first / last**, as Glorot & Bengio (2010) read it: < 1 means the gradient
        shrinks on its way back to the input; None when undefined."""
        return _ratio(self.grad_std[0], self.grad_std[-1])


@dataclasses.dataclass(frozen=True, eq=False)
class Simulation(_PerLayer):
    r"""The result of :func:`simulate`. Per-layer arrays have length ``depth``; index ``l − 1``
    is layer ``l`` (so ``[0]`` is the first layer, ``[-1]`` the last).

    Attributes
    ----------
    depth, widths, activation, init, initializer, scale, batch, dtype
        The inputs; ``widths`` has ``depth + 1`` entries, the input width first; ``init`` is the
        initializer's name and ``initializer`` the object itself.
    pre_std
        std of the pre-activations z_l, pooled over units and batch.
    act_std, act_mean
        std and mean of the activations a_l = f(z_l).
    grad_std
        std of ∂L/∂z_l, the backpropagated gradient at layer l.
    saturation
        Fraction of the (example, unit) values of a bounded activation within
        :data:`SATURATION_THRESHOLD` of its bounds; 0 for the unbounded ones.
    dead
        ReLU only: fraction of units with z ≤ 0 for the **whole** batch (they get no gradient);
        0 for the other activations (leaky ReLU units always pass 1 % of the gradient).
    overflow_layer
        None, or the 1-based layer whose pre-activations reached inf/NaN in ``dtype``.
    grad_overflow_layer
        None, or the 1-based layer where the backward pass reached inf/NaN.
    message
        A one-line summary: ``"overflow at layer 23: ..."`` or the std ratios of a clean run.
    samples
        A :class:`Samples` if ``keep_samples=True``, else None.

    **Overflow is reported as +inf, never as NaN.** When the forward pass overflows at layer k,
    the run stops there: every per-layer statistic of layers k, …, depth is ``+inf`` (a marker for
    "diverged, not computed"), and since the output is not finite the backward pass is skipped and
    all of ``grad_std`` is ``+inf``. When only the backward pass overflows, at layer k, the
    ``grad_std`` of layers k, …, 1 is ``+inf``. No warning and no exception is raised.

    Examples
    --------
    >>> sim = simulate(depth=10, width=256, activation="relu", init="he_normal", seed=0)
    >>> sim.ok, len(sim.pre_std), sim.layers[[0, -1]]
    (True, 10, array([ 1, 10]))
    >>> 0.5 < sim.ratio < 2           # He init keeps the std of z steady through the layers
    True

    A blow-up is reported as +inf from the layer where it happened, never as NaN:

    >>> sim = simulate(depth=100, activation="relu", init="uniform_pm1", seed=0)
    >>> sim.ok, float(sim.pre_std[-1]), sim.message.startswith("overflow at layer")
    (False, inf, True)
    """

    depth: int
    widths: tuple
    activation: str
    init: str
    initializer: object
    scale: float
    batch: int
    dtype: str
    pre_std: np.ndarray
    act_std: np.ndarray
    act_mean: np.ndarray
    grad_std: np.ndarray
    saturation: np.ndarray
    dead: np.ndarray
    overflow_layer: int | None
    grad_overflow_layer: int | None
    message: str
    samples: Samples | None = None

    @property
    def ok(self) -> bool:
        """True when neither pass overflowed."""
        return self.overflow_layer is None and self.grad_overflow_layer is None


    def __repr__(self) -> str:
        return (f"Simulation(depth={self.depth}, widths={_short(self.widths)}, "
                f"activation={self.activation!r}, init={self.init!r}, scale={self.scale:g}, "
                f"batch={self.batch}, message={self.message!r})")


def _ratio(num, den) -> float | None:
    num, den = float(num), float(den)
    if (num == 0 and den == 0) or (math.isinf(num) and math.isinf(den)):
        return None
    if den == 0:
        return math.inf
    return num / den


def _short(widths) -> str:
    if len(set(widths)) == 1:
        return f"[{widths[0]}]*{len(widths)}"
    return repr(list(widths))


# ---------------------------------------------------------------------------------------------
# Statistics without warnings, overflow or cancellation

def _moments(v: np.ndarray):
    """(mean, std) of all entries of ``v`` as Python floats, or None if ``v`` holds inf/NaN.

    Fast path: one float32 sum and one BLAS dot. It is only trusted when the sums are finite, the
    rms is far from the float32 underflow range and the mean is small against the rms (else
    ``E[v²] − E[v]²`` cancels); otherwise the moments are recomputed in float64 after dividing by
    max|v|, which is exact enough whatever the magnitude.
    """
    flat = v.reshape(-1)
    n = flat.size
    s = float(flat.sum())
    ss = float(np.dot(flat, flat))
    if math.isfinite(s) and math.isfinite(ss) and ss > 1e-24 * n:
        mean = s / n
        ms = ss / n
        if mean * mean <= 1e-3 * ms:
            return mean, math.sqrt(max(ms - mean * mean, 0.0))
        d = flat - np.asarray(mean, dtype=flat.dtype)
        return mean, math.sqrt(float(np.dot(d, d)) / n)
    if not (math.isfinite(s) and math.isfinite(ss)) and not np.isfinite(flat).all():
        return None
    big = float(np.max(np.abs(flat)))
    if big == 0.0:
        return 0.0, 0.0
    u = flat.astype(np.float64) / big
    return float(u.mean()) * big, float(u.std()) * big


@functools.lru_cache(maxsize=32)
def _sample_index(size: int) -> np.ndarray:
    """A fixed random subset of flat positions (independent of the simulation's seed)."""
    if size <= SAMPLE_SIZE:
        idx = np.arange(size)
    else:
        idx = np.sort(np.random.default_rng(20100513).choice(size, SAMPLE_SIZE, replace=False))
    idx.setflags(write=False)
    return idx


def _estimate_bytes(widths, batch, itemsize) -> int:
    weights = sum(a * b for a, b in zip(widths[:-1], widths[1:]))
    signals = batch * sum(widths[1:])  # one stored derivative (or mask) per layer
    work = 4 * batch * max(widths)
    return itemsize * (weights + signals + work)


# ---------------------------------------------------------------------------------------------
# The simulation

def _forward_activation(name, z):
    """Apply f to z (in place where possible). Returns (a, d, saturated_count, dead_units):
    d is what the backward pass multiplies by (f'(z), a bool mask for ReLU, None for linear)."""
    if name == "linear":
        return z, None, 0, 0
    if name == "relu":
        mask = z > 0
        dead = mask.shape[1] - int(np.count_nonzero(mask.any(axis=0)))
        return np.maximum(z, 0, out=z), mask, 0, dead
    if name == "leaky_relu":
        mask = z > 0
        d = mask.astype(z.dtype)
        d *= 1.0 - LEAKY_SLOPE
        d += LEAKY_SLOPE
        return np.maximum(z, LEAKY_SLOPE * z, out=z), d, 0, 0  # max(z, s·z) for 0 < s < 1
    if name == "selu":
        la = SELU_LAMBDA * SELU_ALPHA
        e = np.minimum(z, 0)
        np.exp(e, out=e)                       # e^min(z, 0): 1 for z > 0
        pos = z > 0
        d = e * la                             # f'(z) = λα·e^z for z ≤ 0 ...
        np.copyto(d, SELU_LAMBDA, where=pos)   # ... and λ for z > 0
        e -= 1.0
        e *= la                                # λα(e^z − 1), 0 for z > 0
        np.maximum(z, 0, out=z)
        z *= SELU_LAMBDA                       # λ·max(z, 0)
        z += e
        return z, d, 0, 0
    # tanh, scaled_tanh, sigmoid: f = A·t + offset, t = tanh(c·z), f' = k·(1 − t²)
    c, k = _BOUNDED[name]
    if c != 1.0:
        z *= c
    t = np.tanh(z, out=z)
    d = t * t
    np.subtract(1.0, d, out=d)                 # 1 − t²
    thr = SATURATION_THRESHOLD[name]
    saturated = int(np.count_nonzero(d < 1.0 - thr * thr))
    if k != 1.0:
        d *= k
    if name == "scaled_tanh":
        t *= LECUN_TANH_A
    elif name == "sigmoid":
        t += 1.0
        t *= 0.5
    return t, d, saturated, 0


def sample_weights(widths, init="he_normal", seed=None, dtype="float32") -> list[np.ndarray]:
    """The weight matrices :math:`W_1, \\dots, W_L` of a network with ``widths`` ``[n_0, ..., n_L]``,
    drawn by ``init`` in layer order, W_l of shape ``(n_{l-1}, n_l)``.

    Pass them to :func:`simulate` as ``weights=`` to run one fixed network under several weight
    scales or activations (the explorer does, so a slider move shows the same network rescaled,
    without redrawing it). ``seed`` is as for :func:`simulate`.

    Examples
    --------
    >>> ws = sample_weights([784, 256, 10], init="he_normal", seed=0)
    >>> [w.shape for w in ws]
    [(784, 256), (256, 10)]

    The same network at half the weight scale: every layer of a linear network halves z's std.

    >>> ws = sample_weights([256] * 4, seed=0)
    >>> full = simulate(depth=3, activation="linear", weights=ws, seed=0)
    >>> half = simulate(depth=3, activation="linear", weights=ws, scale=0.5, seed=0)
    >>> (full.pre_std / half.pre_std).round(3)
    array([2., 4., 8.])
    """
    widths = _check_widths(None, None, widths)
    initializer = _initializers.get(init)
    dt = validate.float_dtype(dtype, _FLOATS)
    rng = validate.rng(seed)
    return [initializer((n, m), seed=rng, dtype=dt) for n, m in zip(widths[:-1], widths[1:])]


def _check_weights(weights, widths, dt) -> list[np.ndarray]:
    shapes = list(zip(widths[:-1], widths[1:]))
    if isinstance(weights, np.ndarray) or not isinstance(weights, Sequence) or len(weights) != len(shapes):
        raise TypeError(f"weights must be a list of {len(shapes)} matrices of shapes {shapes} "
                        f"(e.g. from sample_weights), got {type(weights).__name__}")
    out = []
    for l, (w, shape) in enumerate(zip(weights, shapes), start=1):
        arr = np.asarray(w)
        if arr.dtype.kind not in "iuf" or arr.shape != shape:
            error = TypeError if arr.dtype.kind not in "iuf" else ValueError
            raise error(f"weights[{l - 1}] (W_{l}) must be a real matrix of shape {shape}, "
                        f"got {arr.dtype} {arr.shape}")
        out.append(arr.astype(dt, copy=False))
    return out


def simulate(depth=30, width=256, activation="relu", init="he_normal", batch=None, seed=None,
             scale=1.0, widths=None, x=None, dtype="float32", keep_samples=False,
             weights=None) -> Simulation:
    r"""Run a deep fully connected network forward and backward; return per-layer statistics.

    The network is :math:`z_l = a_{l-1} W_l`, :math:`a_l = f(z_l)` for l = 1..depth, with zero
    bias and :math:`W_l` = ``scale`` × ``init((n_{l-1}, n_l))``. The backward pass starts from
    :math:`\partial\mathcal{L}/\partial a_L = g_L \sim N(0, 1)` and applies
    :math:`\partial\mathcal{L}/\partial z_l = \partial\mathcal{L}/\partial a_l \odot f'(z_l)`,
    :math:`\partial\mathcal{L}/\partial a_{l-1} = (\partial\mathcal{L}/\partial z_l)\,W_l^\top`.
    Compare with the theory of :func:`predict_variance`.

    Parameters
    ----------
    depth, width : int >= 1
        Number of weight layers and their width (the input has ``width`` features too).
    activation : str
        One of :data:`ACTIVATIONS`: ``"linear"``, ``"sigmoid"``, ``"tanh"``, ``"relu"``,
        ``"leaky_relu"`` (slope 0.01), ``"selu"`` (Klambauer et al. 2017) or ``"scaled_tanh"``
        (LeCun et al. 1998's 1.7159·tanh(2z/3)).
    init : str or Initializer
        Anything :func:`initlab.initializers.get` accepts (``"he_normal"``, ``"glorot_standard"``,
        ``VarianceScaling(0.5)``, …). Its sampling cost is part of the run.
    batch : int >= 2, optional
        Number of input examples; default 256, or the rows of ``x``.
    seed : None, int >= 0 or numpy.random.Generator
        Draws x (unless given), every W_l (passed on to the initializer) and g_L, in that order.
        The same int gives the same run.
    scale : float > 0
        A multiplier on every weight matrix (the explorer's weight-scale slider).
    widths : list of ints, optional
        ``[n_0, n_1, ..., n_depth]``, input width first; overrides ``depth`` and ``width``.
    x : array of shape (batch, n_0), optional
        The input; default i.i.d. N(0, 1).
    dtype : ``"float32"`` (default) or ``"float64"``
    keep_samples : bool
        Also return up to :data:`SAMPLE_SIZE` values of z_l, a_l and ∂L/∂z_l per layer.
    weights : list of arrays, optional
        Fixed matrices ``[W_1, ..., W_L]`` (from :func:`sample_weights`) to use instead of drawing
        them; ``scale`` still multiplies them and ``init`` only names them. The seed then draws
        x and g_L alone.

    Returns
    -------
    Simulation
        Per-layer ``pre_std``, ``act_std``, ``act_mean``, ``grad_std``, ``saturation``, ``dead``,
        plus ``overflow_layer``, ``grad_overflow_layer`` and ``message``.

    Overflow is a result, not an error: if z_l reaches inf/NaN the run stops at layer l, the
    statistics of layers l..depth are ``+inf`` and the backward pass is skipped (all of
    ``grad_std`` is ``+inf``); ``overflow_layer`` is l and ``message`` starts with
    ``"overflow at layer l"``. A backward overflow at layer l likewise makes ``grad_std[:l]``
    ``+inf``. No NaN is ever returned and no warning is emitted.

    Raises
    ------
    TypeError, ValueError
        For an unknown activation (with the closest match), depth or width < 1, batch < 2,
        scale <= 0 or not finite, malformed widths, x of the wrong shape, or a run that would need
        more than :data:`MAX_BYTES` of memory.

    Example
    -------
    >>> sim = simulate(depth=30, width=256, activation="relu", init="glorot_normal", seed=0)
    >>> sim.ratio < 1e-3      # He et al. (2015): Xavier halves E[z²] at every ReLU layer
    True
    """
    name = _check_activation(activation)
    widths = _check_widths(depth, width, widths)
    initializer = _initializers.get(init)
    scale = validate.real("scale", scale, what="(a multiplier on the weights)")
    dt = validate.float_dtype(dtype, _FLOATS)
    if not isinstance(keep_samples, (bool, np.bool_)):
        raise TypeError(f"keep_samples must be True or False, got {keep_samples!r}")
    x, batch = _check_input(x, batch, widths[0], dt)
    need = _estimate_bytes(widths, batch, dt.itemsize)
    if need > MAX_BYTES:
        raise ValueError(f"this run would need about {need / 2**20:.0f} MiB (limit MAX_BYTES = "
                         f"{MAX_BYTES / 2**20:.0f} MiB); reduce depth, width or batch")
    fixed = None if weights is None else _check_weights(weights, widths, dt)
    rng = validate.rng(seed)
    depth = len(widths) - 1
    stats = {k: np.full(depth, np.inf) for k in
             ("pre_std", "act_std", "act_mean", "grad_std", "saturation", "dead")}
    keep = {"pre": [], "act": [], "grad": []} if keep_samples else None

    # The draws come in a fixed order, x, then W_1..W_L, then g_L, so one seed is one run.
    with np.errstate(all="ignore"):
        x = rng.standard_normal((batch, widths[0]), dtype=dt) if x is None else x
        draw = (lambda l: fixed[l]) if fixed is not None else \
            (lambda l: initializer((widths[l], widths[l + 1]), seed=rng, dtype=dt))
        used, derivs, overflow = _forward(name, x, draw, scale, dt, stats, keep)
        grad_overflow = None
        if overflow is None:
            g = rng.standard_normal((batch, widths[-1]), dtype=dt)
            grad_overflow = _backward(g, used, derivs, stats, keep)

    return Simulation(
        depth=depth, widths=widths, activation=name, init=initializer.name,
        initializer=initializer, scale=scale, batch=batch, dtype=dt.name,
        **{k: _frozen(v) for k, v in stats.items()},
        overflow_layer=overflow, grad_overflow_layer=grad_overflow,
        message=_message(stats, overflow, grad_overflow, depth, dt),
        samples=None if keep is None else _padded_samples(keep, depth, dt))


def _forward(name, a, draw, scale, dt, stats, keep):
    """The forward pass: fills the forward entries of ``stats`` (and ``keep``) layer by layer.

    ``draw(l)`` gives the unscaled W_{l+1}. Returns the scaled matrices used, the derivatives
    f'(z_l) (None where f' is 1) and the 1-based layer of an overflow, or None.
    """
    used, derivs = [], []
    for l in range(len(stats["pre_std"])):
        w = draw(l)
        if scale != 1.0:
            w = w * np.asarray(scale, dtype=dt)
        z = a @ w
        m = _moments(z)
        if m is None:
            return used, derivs, l + 1
        stats["pre_std"][l] = m[1]
        if keep is not None:
            keep["pre"].append(z.reshape(-1)[_sample_index(z.size)])
        a, d, saturated, dead = _forward_activation(name, z)
        m = m if name == "linear" else _moments(a)
        if m is None:  # cannot happen for these activations; kept as a guard
            stats["pre_std"][l] = np.inf
            return used, derivs, l + 1
        stats["act_mean"][l], stats["act_std"][l] = m
        stats["saturation"][l] = saturated / a.size
        stats["dead"][l] = dead / a.shape[1]
        if keep is not None:
            keep["act"].append(a.reshape(-1)[_sample_index(a.size)])
        used.append(w)
        derivs.append(d)
    return used, derivs, None


def _backward(grad, used, derivs, stats, keep):
    """The backward pass from ∂L/∂a_L = ``grad``; fills ``stats["grad_std"]`` from the last
    layer down. Returns the 1-based layer of a gradient overflow, or None."""
    depth, grad_keep = len(used), []
    for l in range(depth - 1, -1, -1):
        if l < depth - 1:
            grad = grad @ used[l + 1].T
        if derivs[l] is not None:
            np.multiply(grad, derivs[l], out=grad)
        m = _moments(grad)
        if m is None:
            return l + 1
        stats["grad_std"][l] = m[1]
        if keep is not None:
            grad_keep.append(grad.reshape(-1)[_sample_index(grad.size)])
    if keep is not None:
        keep["grad"] = grad_keep[::-1]
    return None


def _message(stats, overflow, grad_overflow, depth, dt) -> str:
    if overflow is not None:
        return (f"overflow at layer {overflow}: the pre-activations reached inf/NaN in "
                f"{dt.name}; layers {overflow}-{depth} and all gradients are reported as inf")
    if grad_overflow is not None:
        return (f"gradient overflow at layer {grad_overflow}: the backward pass reached "
                f"inf/NaN in {dt.name}; grad_std of layers 1-{grad_overflow} is reported as inf")
    r = _ratio(stats["pre_std"][-1], stats["pre_std"][0])
    g = _ratio(stats["grad_std"][0], stats["grad_std"][-1])
    fmt = (lambda v: "undefined (0/0)" if v is None else f"{v:.3g}")
    return (f"ok: pre-activation std ratio last/first = {fmt(r)}, "
            f"gradient std ratio first/last = {fmt(g)}")


def _padded_samples(keep, depth, dt) -> Samples:
    """Samples with an empty array for each layer the run did not reach."""
    empty = np.empty(0, dtype=dt)
    missing = lambda seq: [empty] * (depth - len(seq))
    return Samples(pre=tuple(keep["pre"] + missing(keep["pre"])),
                   act=tuple(keep["act"] + missing(keep["act"])),
                   grad=tuple(missing(keep["grad"]) + keep["grad"]))


# ---------------------------------------------------------------------------------------------
# The theory

@functools.lru_cache(maxsize=1)
def _quadrature(n=128, cutoff=10.0):
    r"""Nodes x ≥ 0 and weights for :math:`E[h(z)] ≈ Σ_i w_i [h(σx_i) + h(−σx_i)]`, z ~ N(0, σ²).

    Gauss–Legendre on [0, cutoff] in t with x = cutoff·t² (which crowds nodes near 0, where a
    saturating activation turns steep when σ is large), split at the kink of ReLU/SELU. Relative
    error below 1e-9 for σ up to ~300 on every activation here, where 100-point Gauss–Hermite is
    off by up to 4 % (SELU's kink, tanh' at σ ≈ 3). For σ > 30 the derivative of a bounded
    activation is integrated in z instead (see :func:`_gauss_moments`).
    """
    u, w = np.polynomial.legendre.leggauss(n)
    t = (u + 1.0) / 2.0
    x = cutoff * t * t
    weights = w * cutoff * t * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    x.setflags(write=False)
    weights.setflags(write=False)
    return x, weights


def _gauss_moments(name, q):
    """(E[f(z)], E[f(z)²], E[f'(z)²]) for z ~ N(0, q)."""
    if q == 0.0:
        f0, d0 = float(activate(name, 0.0)), float(derivative(name, 0.0))
        return f0, f0 * f0, d0 * d0
    if math.isinf(q):
        big = {"sigmoid": (0.5, 0.5, 0.0), "tanh": (0.0, 1.0, 0.0),
               "scaled_tanh": (0.0, LECUN_TANH_A ** 2, 0.0)}
        if name in big:
            return big[name]
        return (0.0 if name == "linear" else math.inf), math.inf, {"linear": 1.0, "relu": 0.5,
                                    "leaky_relu": (1 + LEAKY_SLOPE ** 2) / 2,
                                    "selu": SELU_LAMBDA ** 2 / 2}[name]
    if name == "linear":
        return 0.0, q, 1.0
    if name in ("relu", "leaky_relu"):
        s = 0.0 if name == "relu" else LEAKY_SLOPE
        return (1 - s) * math.sqrt(q / (2 * math.pi)), (1 + s * s) / 2 * q, (1 + s * s) / 2
    x, w = _quadrature()
    s = math.sqrt(q)
    z = s * x
    f_pos, f_neg = activate(name, z), activate(name, -z)
    d_pos, d_neg = derivative(name, z), derivative(name, -z)
    dsq = float(w @ (d_pos ** 2 + d_neg ** 2))
    if name in _BOUNDED and s > 30.0:
        # f'² is a bump of width ~1/c around 0, narrow against σ: integrate in z instead,
        # E[f'(z)²] = 2∫₀^U φ(z/σ)/σ · f'(z)² dz, f'(z)² < 1e-30 beyond U = 20/c.
        c = _BOUNDED[name][0]
        u, wu = _bump_quadrature()
        zz = u / c
        dens = np.exp(-0.5 * (zz / s) ** 2) / (s * math.sqrt(2.0 * math.pi))
        dsq = 2.0 * float((wu / c * dens) @ derivative(name, zz) ** 2)
    return float(w @ (f_pos + f_neg)), float(w @ (f_pos ** 2 + f_neg ** 2)), dsq


def second_moment_map(activation: str, q, c=1.0) -> float:
    r"""One layer of the theory's recursion with :math:`\mathrm{Var}(w) = c/\text{fan\_in}`:
    :math:`q \mapsto c\,E[f(z)^2]` for :math:`z \sim N(0, q)`, exactly what
    :func:`predict_variance` applies from layer to layer. Its fixed points :math:`q^*` are the
    second moments a deep network keeps; they attract where the map's slope is below 1
    (chapter 5's cobwebs). ``activation`` is one of :data:`ACTIVATIONS`.

    Examples
    --------
    >>> second_moment_map("relu", 3.0, c=2.0)        # He: E[relu(z)²] = q/2, times 2
    3.0
    >>> round(second_moment_map("tanh", 1.0), 4)     # LeCun's 1/fan_in shrinks tanh's q = 1
    0.3943
    """
    name = _check_activation(activation)
    q = validate.real("q (the second moment E[z²])", q, low=0, low_open=False)
    return float(c) * _gauss_moments(name, q)[1]


@functools.lru_cache(maxsize=1)
def _bump_quadrature(n=128, cutoff=20.0):
    """Gauss–Legendre nodes and weights on [0, cutoff]."""
    u, w = np.polynomial.legendre.leggauss(n)
    return cutoff * (u + 1.0) / 2.0, w * cutoff / 2.0


@dataclasses.dataclass(frozen=True, eq=False)
class Prediction(_PerLayer):
    r"""The mean-field prediction of :func:`predict_variance`, aligned with :class:`Simulation`
    (index ``l − 1`` is layer l).

    Attributes
    ----------
    pre_var, pre_std
        :math:`q_l = E[z_l^2]` and its square root (compare ``Simulation.pre_std``).
    act_mean, act_std
        :math:`E[f(z_l)]` and :math:`\sqrt{E[f(z_l)^2] - E[f(z_l)]^2}` for :math:`z_l \sim N(0, q_l)`.
    act_sq
        :math:`E[f(z_l)^2]`, what the next layer receives (includes the mean², e.g. ¼ for sigmoid).
    grad_var, grad_std
        :math:`r_l = E[(\partial\mathcal{L}/\partial z_l)^2]` and its square root.
    weight_var
        Var(w_l) = (scale · init.std(shape))² per layer.
    valid
        False when the initializer's weights do not have mean 0 (constants, ``numpy_rand``,
        ``identity``, …): the recursion then does not describe the network (its units become
        correlated), and ``note`` says so.

    Examples
    --------
    >>> p = predict_variance(depth=5, activation="relu", init="glorot_normal")
    >>> p.pre_std.round(3)                 # Glorot's variance halves E[z²] at every ReLU layer
    array([1.   , 0.707, 0.5  , 0.354, 0.25 ])
    >>> predict_variance(depth=3, init="numpy_rand").valid
    False
    """

    depth: int
    widths: tuple
    activation: str
    init: str
    scale: float
    input_var: float
    pre_var: np.ndarray
    pre_std: np.ndarray
    act_mean: np.ndarray
    act_std: np.ndarray
    act_sq: np.ndarray
    grad_var: np.ndarray
    grad_std: np.ndarray
    weight_var: np.ndarray
    valid: bool
    note: str



def _mul(*factors) -> float:
    """Product in which 0 wins over inf (a zero weight variance stops even an infinite signal)."""
    if any(f == 0 for f in factors):
        return 0.0
    out = 1.0
    for f in factors:
        out *= f
    return out


def predict_variance(depth=30, width=256, activation="relu", init="he_normal", scale=1.0,
                     widths=None, input_var=1.0) -> Prediction:
    r"""The mean-field recursion for the second moments of the forward and backward signal.

    Forward (LeCun et al. 1998; Glorot & Bengio 2010; He et al. 2015):

    .. math::  q_1 = n_0\,v_1\,E[x^2], \qquad q_l = n_{l-1}\,v_l\,E[f(z_{l-1})^2], \qquad
               z_{l-1} \sim N(0, q_{l-1}),

    with :math:`v_l = \mathrm{Var}(w_l) = (\text{scale}\cdot\text{init.std}((n_{l-1}, n_l)))^2`
    and :math:`E[x^2]` = ``input_var`` (1 for the default N(0, 1) input of :func:`simulate`).
    Since the weights have mean 0, :math:`q_l = E[z_l^2] = \mathrm{Var}\,z_l`.

    Backward, for the unit-variance output gradient of :func:`simulate`:

    .. math::  r_L = E[f'(z_L)^2]\cdot 1, \qquad r_l = E[f'(z_l)^2]\; n_{l+1}\, v_{l+1}\; r_{l+1}.

    :math:`E[f(z)^2]` is exact in closed form for linear (q), ReLU (q/2, He et al. 2015) and leaky
    ReLU ((1 + 0.01²)q/2); for sigmoid, tanh, scaled_tanh and SELU it is a 128-node Gauss–Legendre
    quadrature over the Gaussian (relative error < 1e-7 checked for q from 1e-4 to 1e6). Note that
    :math:`E[f(z)^2]` includes the squared **mean** of a non-centred activation: for sigmoid,
    :math:`E[\sigma(z)^2] = \mathrm{Var}\,\sigma(z) + E[\sigma(z)]^2 ≈ \mathrm{Var} + ¼`, and it is
    this second moment, not the variance, that the next layer sees; this is where "Var" ≠
    ":math:`E[\cdot^2]`" and why Glorot's derivation does not carry over to sigmoid.

    Assumptions: i.i.d. zero-mean weights independent of the signal, infinite width (finite-width
    fluctuations grow with Σ 1/n_l, Hanin & Rolnick 2018), Gaussian pre-activations, and for the
    backward pass the usual independence of forward and backward weights. Linear networks are
    exact in expectation.

    Parameters are those of :func:`simulate`; ``input_var`` is E[x²] > 0 of the input.
    Returns a :class:`Prediction`.

    Examples
    --------
    He init for ReLU: q_1 = n_0 · (2/n_0) · E[x²] = 2, and q_l stays 2 in every layer.

    >>> p = predict_variance(depth=30, width=256, activation="relu", init="he_normal")
    >>> p.pre_var[[0, -1]]
    array([2., 2.])

    Glorot's variance, 1/n for square layers, halves it at every ReLU: after 30 layers 2^-29.

    >>> p = predict_variance(depth=30, activation="relu", init="glorot_normal")
    >>> bool(p.pre_var[-1] == 2.0 ** -29)
    True
    """
    name = _check_activation(activation)
    widths = _check_widths(depth, width, widths)
    initializer = _initializers.get(init)
    scale = validate.real("scale", scale, what="(a multiplier on the weights)")
    input_var = validate.real("input_var", input_var, low=0, low_open=False, what="(E[x²] of the input)")
    depth = len(widths) - 1
    shapes = [(widths[l], widths[l + 1]) for l in range(depth)]
    v = np.array([(scale * initializer.std(s)) ** 2 for s in shapes], dtype=np.float64)

    q = np.empty(depth)
    mean, sq, dsq = np.empty(depth), np.empty(depth), np.empty(depth)
    with np.errstate(all="ignore"):
        prev = input_var
        for l in range(depth):
            q[l] = _mul(widths[l], v[l], prev)
            mean[l], sq[l], dsq[l] = _gauss_moments(name, float(q[l]))
            prev = sq[l]
        r = np.empty(depth)
        r[-1] = dsq[-1]
        for l in range(depth - 2, -1, -1):
            r[l] = _mul(dsq[l], widths[l + 2], v[l + 1], r[l + 1])
        act_var = np.where(np.isinf(sq), np.inf, np.maximum(sq - mean * mean, 0.0))
        act_std = np.sqrt(act_var)

    w_mean = _weight_mean(initializer, shapes[0])
    note = ("" if w_mean == 0 else
            f"{initializer.name} draws weights with mean {w_mean:.4g} != 0: the recursion "
            f"assumes zero-mean i.i.d. weights and does not describe this network")
    return Prediction(
        depth=depth, widths=widths, activation=name, init=initializer.name, scale=scale,
        input_var=input_var, pre_var=_frozen(q), pre_std=_frozen(np.sqrt(q)),
        act_mean=_frozen(mean), act_std=_frozen(act_std), act_sq=_frozen(sq),
        grad_var=_frozen(r), grad_std=_frozen(np.sqrt(r)), weight_var=_frozen(v),
        valid=w_mean == 0, note=note)

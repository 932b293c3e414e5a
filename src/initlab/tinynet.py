r"""A tiny fully connected classifier in plain numpy, small enough to watch every weight.

Chapter 1 uses it to show *how* bad initializations fail: with zero or constant weights the hidden
units of a layer stay exact copies of each other, because they receive exactly the same gradient.

The network maps ``sizes = [n_0, n_1, ..., n_L]`` with hidden activation *f* and a sigmoid output
unit (``n_L = 1``), trained by full-batch gradient descent on the mean binary cross-entropy:

.. math::  h_0 = X, \quad h_l = f(h_{l-1} W_l + b_l)\ (l < L), \quad
           p = \sigma(h_{L-1} W_L + b_L), \quad
           \mathcal{L} = -\tfrac1m \textstyle\sum [y \log p + (1-y)\log(1-p)].

Backpropagation: :math:`\delta_L = (p - y)/m`, :math:`\partial\mathcal{L}/\partial W_l =
h_{l-1}^\top \delta_l`, :math:`\partial\mathcal{L}/\partial b_l = \sum \delta_l`,
:math:`\delta_{l-1} = (\delta_l W_l^\top) \odot f'(z_{l-1})`. If all units of a layer start with
equal incoming and outgoing weights, every term here is equal across them, so they stay equal.
"""

from __future__ import annotations

import dataclasses
import math
import numbers

import numpy as np

from . import initializers, validate
from .propagation import ACTIVATIONS, activate, derivative

__all__ = ["circles", "moons", "xor", "TASKS", "train", "TinyRun", "unit_spread"]


def circles(n=300, noise=0.08, factor=0.5, seed=0):
    """Two concentric noisy circles in 2-D, labels 0 (outer) and 1 (inner): ``(X, y)``.

    Not linearly separable, so a network needs its hidden units to tell them apart.

    Examples
    --------
    >>> X, y = circles(300, seed=0)
    >>> X.shape, y[:4], float(y.mean())
    ((300, 2), array([0., 1., 0., 1.]), 0.5)
    """
    n = validate.integer("n", n, low=2)
    noise = validate.real("noise", noise, low=0, low_open=False)
    factor = validate.real("factor", factor, high=1, high_open=True)
    rng = validate.rng(seed)
    angle = rng.uniform(0, 2 * math.pi, n)
    y = (np.arange(n) % 2).astype(np.float64)
    radius = np.where(y == 1, factor, 1.0)
    X = np.c_[radius * np.cos(angle), radius * np.sin(angle)] + noise * rng.standard_normal((n, 2))
    return X, y


def moons(n=300, noise=0.1, seed=0):
    """Two interleaving half circles in 2-D, labels 0 (upper moon) and 1 (lower moon): ``(X, y)``.

    The upper moon is (cos t, sin t), the lower (1 − cos t, ½ − sin t), t uniform on [0, π], plus
    Gaussian noise of std ``noise``. Like the circles, no straight line separates them.

    Examples
    --------
    >>> X, y = moons(300, seed=0)
    >>> X.shape, y[:4], float(y.mean())
    ((300, 2), array([0., 1., 0., 1.]), 0.5)
    """
    n = validate.integer("n", n, low=2)
    noise = validate.real("noise", noise, low=0, low_open=False)
    rng = validate.rng(seed)
    t = rng.uniform(0, math.pi, n)
    y = (np.arange(n) % 2).astype(np.float64)
    X = np.where(y[:, None] == 1, np.c_[1 - np.cos(t), 0.5 - np.sin(t)], np.c_[np.cos(t), np.sin(t)])
    return X + noise * rng.standard_normal((n, 2)), y


def xor(n=300, noise=0.1, seed=0):
    """The XOR task in 2-D: points in the four quadrants of [−1, 1]², label 1 where the two
    coordinates have different signs: ``(X, y)``.

    Each point's distance from each axis is uniform on [0.1, 1], then Gaussian noise of std
    ``noise`` is added. No straight line separates the labels; two hidden units can.

    Examples
    --------
    >>> X, y = xor(300, seed=0)
    >>> X.shape, y[:4], float(y.mean())
    ((300, 2), array([0., 1., 0., 1.]), 0.5)
    >>> X0, y0 = xor(300, noise=0, seed=0)                  # without noise the rule holds exactly
    >>> bool(np.all((X0[:, 0] * X0[:, 1] < 0) == (y0 == 1)))
    True
    """
    n = validate.integer("n", n, low=2)
    noise = validate.real("noise", noise, low=0, low_open=False)
    rng = validate.rng(seed)
    y = (np.arange(n) % 2).astype(np.float64)
    s1 = rng.choice([-1.0, 1.0], n)
    s2 = np.where(y == 1, -s1, s1)
    X = np.c_[s1, s2] * rng.uniform(0.1, 1.0, (n, 2))
    return X + noise * rng.standard_normal((n, 2)), y


#: The 2-D tasks the tiny network can be trained on, by name.
TASKS = {"circles": circles, "moons": moons, "xor": xor}


@dataclasses.dataclass(frozen=True, eq=False)
class TinyRun:
    """The result of :func:`train`.

    ``params`` are the final ``[(W_1, b_1), ..., (W_L, b_L)]``; ``grads0`` the gradients at step 0
    in the same layout; ``loss`` the loss before each step and after the last (``steps + 1``
    values); ``history`` the parameters every ``record_every`` steps (step 0 first).

    Examples
    --------
    >>> X, y = circles(seed=0)
    >>> run = train(X, y, sizes=(2, 4, 1), init="glorot_uniform", steps=50, seed=0)
    >>> [W.shape for W, b in run.params]
    [(2, 4), (4, 1)]
    >>> len(run.loss)                       # before each of the 50 steps, and after the last
    51
    """

    sizes: tuple
    activation: str
    init: str
    params: list
    grads0: list
    loss: np.ndarray
    history: list

    def predict(self, X) -> np.ndarray:
        """Probabilities p of class 1."""
        return _forward(self.params, self.activation, np.asarray(X, dtype=np.float64))[0][-1].ravel()

    def accuracy(self, X, y) -> float:
        return float(np.mean((self.predict(X) > 0.5) == (np.asarray(y) > 0.5)))


def unit_spread(W) -> float:
    """How different the units of a layer are: the largest difference between any unit's incoming
    weight column and unit 0's. Exactly 0 means every unit is a copy of the first.

    Examples
    --------
    >>> import numpy as np
    >>> unit_spread(np.ones((2, 3)))                          # three identical columns
    0.0
    >>> unit_spread(np.array([[1.0, 1.5], [0.0, 0.0]]))       # unit 1 differs by 0.5
    0.5
    """
    W = np.asarray(W)
    return float(np.max(np.abs(W - W[:, :1]))) if W.size else 0.0


def _forward(params, activation, X):
    hs, zs = [X], []
    for l, (W, b) in enumerate(params):
        z = hs[-1] @ W + b
        zs.append(z)
        hs.append(1 / (1 + np.exp(-z)) if l == len(params) - 1 else activate(activation, z))
    return hs, zs


def _loss(p, y):
    p = np.clip(p, 1e-12, 1 - 1e-12)
    return float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p)))


def _gradients(params, activation, X, y):
    hs, zs = _forward(params, activation, X)
    delta = (hs[-1] - y[:, None]) / len(y)
    grads = [None] * len(params)
    for l in range(len(params) - 1, -1, -1):
        grads[l] = (hs[l].T @ delta, delta.sum(axis=0))
        if l:
            delta = (delta @ params[l][0].T) * derivative(activation, zs[l - 1])
    return grads, _loss(hs[-1].ravel(), y)


def _check_data(X, y, sizes):
    """``X`` (m, n_in) and ``y`` (m,) as float64, ``sizes`` as a tuple of ints."""
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, (list, tuple)) or \
            not all(isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in sizes):
        raise TypeError(f"sizes must be a list of ints [n_in, hidden..., 1], got {sizes!r}")
    sizes = tuple(int(s) for s in sizes)
    if len(sizes) < 2 or sizes[-1] != 1 or min(sizes) < 1:
        raise ValueError(f"sizes must be [n_in, hidden..., 1] with positive ints, got {sizes}")
    try:
        X = np.asarray(X, dtype=np.float64)
        y = np.asarray(y, dtype=np.float64).ravel()
    except (TypeError, ValueError) as exc:
        raise TypeError(f"X and y must be real arrays: {exc}") from None
    if X.ndim != 2 or X.shape[1] != sizes[0] or len(y) != len(X):
        raise ValueError(f"X must have shape (m, {sizes[0]}) and y shape (m,), got {X.shape} and {y.shape}")
    if not (np.isfinite(X).all() and np.isin(y, (0.0, 1.0)).all()):
        raise ValueError("X must be finite and y must hold only the labels 0 and 1")
    return X, y, sizes


def _check_weights(weights, sizes):
    """``weights`` as a list of float64 copies of W_1..W_L, W_l of shape (n_{l-1}, n_l)."""
    shapes = [(a, b) for a, b in zip(sizes[:-1], sizes[1:])]
    valid = f"a list of {len(shapes)} weight matrices of shapes {', '.join(map(str, shapes))}"
    if not isinstance(weights, (list, tuple)):
        raise TypeError(f"weights must be {valid}, got {type(weights).__name__}")
    if len(weights) != len(shapes):
        raise ValueError(f"weights must be {valid}, got {len(weights)} matrices")
    out = []
    for l, (W, shape) in enumerate(zip(weights, shapes)):
        try:
            W = np.array(W, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(f"weights[{l}] must be a real {shape} array, got {type(W).__name__}") from None
        if W.shape != shape or not np.isfinite(W).all():
            raise ValueError(f"weights[{l}] must be a finite real array of shape {shape}, got shape {W.shape}")
        out.append(W)
    return out


def _start(sizes, init, seed, scale, weights):
    """The starting ``[(W_l, b_l)]`` (biases 0) and the initializer's name ("given" for weights)."""
    if weights is not None:
        if scale != 1:
            raise ValueError(f"scale must be 1 when weights are given (they are used as they are), got {scale}")
        return [(W, np.zeros(W.shape[1])) for W in _check_weights(weights, sizes)], "given"
    init_obj = initializers.get(init)
    rng = validate.rng(seed)
    return [(scale * init_obj((a, b), seed=rng, dtype="float64"), np.zeros(b))
            for a, b in zip(sizes[:-1], sizes[1:])], init_obj.name


def train(X, y, sizes=(2, 4, 1), activation="tanh", init="zeros", lr=1.0, steps=200, seed=0,
          scale=1.0, record_every=None, weights=None) -> TinyRun:
    """Train the tiny network by full-batch gradient descent; biases start at 0.

    ``init`` is anything :func:`initlab.initializers.get` accepts; ``scale`` multiplies the
    weights (``init="random_normal", scale=200`` is N(0, 10²)). ``seed`` makes the run
    reproducible. ``activation`` is the hidden activation (see :mod:`initlab.propagation`).
    ``weights``, a list of the matrices W_1..W_L (W_l of shape (n_{l-1}, n_l)), starts the run from
    them instead of drawing: ``init`` and ``seed`` are then not used and ``scale`` must be 1. The
    page's engine (``InitLab.train``) takes the same options, so both can start from one point.

    Examples
    --------
    With constant weights the 4 hidden units stay copies of each other; random weights break the tie.

    >>> X, y = circles(seed=0)
    >>> const = train(X, y, sizes=(2, 4, 1), init="ones", steps=200, seed=0)
    >>> rand = train(X, y, sizes=(2, 4, 1), init="glorot_uniform", steps=200, seed=0)
    >>> unit_spread(const.params[0][0]) == 0, unit_spread(rand.params[0][0]) > 0
    (True, True)

    Starting from given weights: here those of the random run, so the two runs are one.

    >>> W0 = train(X, y, sizes=(2, 4, 1), init="glorot_uniform", steps=0, seed=0).params
    >>> again = train(X, y, sizes=(2, 4, 1), steps=200, weights=[W for W, b in W0])
    >>> bool(np.array_equal(again.loss, rand.loss)), again.init
    (True, 'given')
    """
    X, y, sizes = _check_data(X, y, sizes)
    activation = validate.choice("activation", activation, ACTIVATIONS)
    lr, scale = validate.real("lr", lr), validate.real("scale", scale)
    steps = validate.integer("steps", steps, low=0)
    record_every = validate.integer("record_every", record_every, low=1, allow_none=True)
    params, init_name = _start(sizes, init, seed, scale, weights)
    losses, history, grads0 = [], [], None
    with np.errstate(over="ignore"):  # a saturated sigmoid may overflow exp(); clipped in _loss
        for step in range(steps + 1):
            if record_every and step % record_every == 0:
                history.append([(W.copy(), b.copy()) for W, b in params])
            grads, loss = _gradients(params, activation, X, y)
            losses.append(loss)
            if step == 0:
                grads0 = grads
            if step < steps:
                params = [(W - lr * gW, b - lr * gb) for (W, b), (gW, gb) in zip(params, grads)]
    return TinyRun(sizes=sizes, activation=activation, init=init_name, params=params,
                   grads0=grads0, loss=np.array(losses), history=history)

r"""Beyond the variance-scaling schemes: Gaussian moments of any activation, orthogonal products,
LSUV and the edge of chaos (chapter 7).

Four small tools, each with its formula and paper:

* **Gaussian moments** (:func:`gaussian_mean`, :func:`second_moment_ratio`, :func:`moment_gain`):
  :math:`E[h(z)]` for :math:`z \sim N(0, q)` by quadrature, for the activations of
  :mod:`initlab.propagation` and three more (:data:`EXTRA`: GELU, Swish/SiLU, softsign). The gain
  that keeps :math:`E[z^2] = q` through a layer with :math:`\mathrm{Var}(w) = g^2/n` is
  :math:`g = (q / E[f(z)^2])^{1/2}`: √2 for ReLU at every q, about 1.53 for GELU at q = 1.
* **Orthogonal products** (:func:`product_singular_values`): the singular values of
  :math:`W_L \cdots W_1` for orthogonal or Gaussian :math:`W_l`. Saxe, McClelland & Ganguli (2014)
  ("Exact solutions to the nonlinear dynamics of learning in deep linear neural networks", ICLR):
  orthogonal matrices keep every singular value of a deep linear network at 1 (*dynamical
  isometry*), while a product of Gaussian matrices with :math:`\mathrm{Var}(w) = 1/n` keeps the
  *average* squared singular value but spreads them over orders of magnitude.
* **LSUV** (:func:`lsuv`): Mishkin & Matas (2016) ("All you need is a good init", ICLR), layer-
  sequential unit-variance initialization: start from orthogonal matrices, then, layer by layer
  from the input, divide :math:`W_l` by the std of the layer's output on a data batch until its
  variance is 1 within a tolerance. Data-driven, so it needs no derivation for the activation.
* **The edge of chaos** (:func:`fixed_point_q`, :func:`chi1`, :func:`correlation_map`,
  :func:`correlation_fixed_point`, :func:`depth_scale`, :func:`critical_sigma_w`): the mean-field
  theory of Poole et al. (2016) ("Exponential expressivity in deep neural networks through
  transient chaos", NeurIPS) and Schoenholz et al. (2017) ("Deep information propagation", ICLR)
  for a wide network :math:`z^l = W^l\phi(z^{l-1}) + b^l` with :math:`W_{ij} \sim N(0,
  \sigma_w^2/n)` and :math:`b_i \sim N(0, \sigma_b^2)`:

  .. math::  q^* = \sigma_w^2\,E[\phi(\sqrt{q^*}z)^2] + \sigma_b^2, \qquad
             \chi_1 = \sigma_w^2\,E[\phi'(\sqrt{q^*}z)^2].

  Two inputs with correlation :math:`c` map to :math:`c' = (\sigma_w^2 E[\phi(u_1)\phi(u_2)] +
  \sigma_b^2)/q^*`, with :math:`u_1 = \sqrt{q^*}z_1`, :math:`u_2 = \sqrt{q^*}(cz_1 +
  \sqrt{1-c^2}z_2)`. :math:`c = 1` is a fixed point with slope :math:`\chi_1`: stable
  (*ordered* phase, all inputs end up alike) when :math:`\chi_1 < 1`, unstable (*chaotic*, nearby
  inputs decorrelate to a fixed point :math:`c^* < 1`) when :math:`\chi_1 > 1`. Correlations
  approach :math:`c^*` like :math:`e^{-l/\xi_c}` with the depth scale
  :math:`\xi_c^{-1} = -\ln\big(\sigma_w^2 E[\phi'(u_1)\phi'(u_2)]\big)` at :math:`c^*`, which is
  :math:`-\ln\chi_1` in the ordered phase and diverges at :math:`\chi_1 = 1`. :math:`\chi_1` is
  also the per-layer factor of the gradient's second moment, so at the edge of chaos gradients
  neither vanish nor explode.

The quadratures are Gauss–Legendre rules on :math:`[0, 10]` in :math:`t` with :math:`x = 10t^2`,
mirrored to negative :math:`x`, so the nodes crowd near the kinks at 0 of ReLU and softsign;
tested against closed forms (relative error below 1e-8 for q from 1e-4 to 400), Monte Carlo, and
the independent quadrature of :func:`initlab.propagation.predict_variance`.
This module imports only numpy.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np

from . import initializers, propagation, validate

__all__ = ["EXTRA", "activate", "derivative", "gaussian_mean", "second_moment_ratio",
           "moment_orbit", "moment_gain", "residual_stds", "jacobian_singular_means",
           "product_singular_values", "LSUVResult", "lsuv", "forward_stds",
           "fixed_point_q", "chi1", "correlation_map", "correlation_fixed_point", "depth_scale",
           "critical_sigma_w", "correlation_curve", "simulate_correlation"]

#: Activations this module knows beyond :data:`initlab.propagation.ACTIVATIONS`.
EXTRA = ("gelu", "swish", "softsign")
_ALIASES = {"silu": "swish"}


def _erf(x):
    """erf for arrays (numpy has none), via math.erf."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


def _name(activation) -> str:
    return validate.choice("activation", activation, propagation.ACTIVATIONS + EXTRA, _ALIASES)


def activate(activation: str, z) -> np.ndarray:
    r"""f(z) in float64: the activations of :mod:`initlab.propagation`, and

    * ``gelu``: :math:`z\,\Phi(z)` (exact, with erf; Hendrycks & Gimpel 2016);
    * ``swish`` (alias ``silu``): :math:`z\,\sigma(z)` (Ramachandran et al. 2017);
    * ``softsign``: :math:`z / (1 + |z|)` (studied by Glorot & Bengio 2010).

    Examples
    --------
    >>> import numpy as np
    >>> activate("gelu", np.array([-1.0, 0.0, 1.0])).round(4)      # z·Φ(z): Φ(1) = 0.8413
    array([-0.1587,  0.    ,  0.8413])
    >>> activate("softsign", np.array([-1.0, 0.0, 3.0]))
    array([-0.5 ,  0.  ,  0.75])
    >>> activate("gelu2", 1.0)
    Traceback (most recent call last):
    ...
    ValueError: unknown activation 'gelu2'. Did you mean 'gelu'? Valid: ...
    """
    name = _name(activation)
    z = np.asarray(z, dtype=np.float64)
    if name == "gelu":
        return z * 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
    if name == "swish":
        return z * 0.5 * (1.0 + np.tanh(0.5 * z))
    if name == "softsign":
        return z / (1.0 + np.abs(z))
    return propagation.activate(name, z)


def derivative(activation: str, z) -> np.ndarray:
    """f'(z) in float64 (see :func:`activate`).

    Examples
    --------
    >>> import numpy as np
    >>> derivative("softsign", np.array([0.0, 1.0]))     # 1 / (1 + |z|)²
    array([1.  , 0.25])
    >>> derivative("gelu", np.array([0.0]))              # Φ(0) = ½
    array([0.5])
    """
    name = _name(activation)
    z = np.asarray(z, dtype=np.float64)
    if name == "gelu":
        return 0.5 * (1.0 + _erf(z / math.sqrt(2.0))) + z * np.exp(-0.5 * z * z) / math.sqrt(2 * math.pi)
    if name == "swish":
        s = 0.5 * (1.0 + np.tanh(0.5 * z))
        return s * (1.0 + z * (1.0 - s))
    if name == "softsign":
        return 1.0 / (1.0 + np.abs(z)) ** 2
    return propagation.derivative(name, z)


# ---------------------------------------------------------------------------------------------
# Gaussian moments

@functools.lru_cache(maxsize=4)
def _nodes(n=128, cutoff=10.0):
    """Nodes x (both signs) and weights w with E[h(z)] ≈ Σ w h(x), z ~ N(0, 1)."""
    u, w = np.polynomial.legendre.leggauss(n)
    t = (u + 1.0) / 2.0
    x = cutoff * t * t
    weights = w * cutoff * t * np.exp(-0.5 * x * x) / math.sqrt(2.0 * math.pi)
    x, weights = np.concatenate([x, -x]), np.concatenate([weights, weights])
    x.setflags(write=False)
    weights.setflags(write=False)
    return x, weights


def _check_q(q) -> float:
    return validate.real("q (the variance E[z²])", q, low=0, low_open=False)


def gaussian_mean(h, q=1.0) -> float:
    r""":math:`E[h(z)]` for :math:`z \sim N(0, q)`; ``h`` is a vectorised function of float64 arrays.

    Example: ``gaussian_mean(lambda z: activate("gelu", z) ** 2)`` is E[gelu(z)²] ≈ 0.4252.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> round(gaussian_mean(lambda z: z ** 2, q=4.0), 6)            # E[z²] = q
    4.0
    >>> relu_mean = gaussian_mean(lambda z: np.maximum(z, 0.0))      # E[ReLU(z)] = 1/√(2π)
    >>> math.isclose(relu_mean, 1 / math.sqrt(2 * math.pi), rel_tol=1e-8)
    True
    """
    q = _check_q(q)
    x, w = _nodes()
    return float(w @ np.asarray(h(math.sqrt(q) * x), dtype=np.float64))


def second_moment_ratio(activation: str, q=1.0) -> float:
    r""":math:`E[f(z)^2] / E[z^2]` for :math:`z \sim N(0, q)`, q > 0: what one layer with
    :math:`n\,\mathrm{Var}(w) = 1` multiplies the second moment by. ½ for ReLU at every q
    (He et al. 2015); for tanh it falls from 1 (small q) as tanh saturates; for GELU and Swish it
    *rises* with q, from ¼ to ½, because they are not homogeneous.

    Examples
    --------
    >>> round(second_moment_ratio("relu", q=1.0), 6), round(second_moment_ratio("relu", q=100.0), 6)
    (0.5, 0.5)
    >>> round(second_moment_ratio("tanh", q=0.01), 2), round(second_moment_ratio("tanh", q=1.0), 2)
    (0.98, 0.39)
    >>> round(second_moment_ratio("gelu", q=0.01), 3), round(second_moment_ratio("gelu", q=100.0), 3)
    (0.255, 0.5)
    """
    q = _check_q(q)
    if q == 0:
        raise ValueError("q must be > 0 for a ratio")
    return gaussian_mean(lambda z: activate(activation, z) ** 2, q) / q


def moment_orbit(activation: str, q0=1.0, depth=40, c=1.0) -> np.ndarray:
    r"""The second moments :math:`q_0, q_1, \dots, q_{depth}` of a deep network with
    :math:`\mathrm{Var}(w) = c/\text{fan\_in}` (``c`` is :math:`g^2` for a gain g):
    :math:`q_{l+1} = c\,E[f(z_l)^2]`, :math:`z_l \sim N(0, q_l)`, from ``q0`` > 0. For the
    activations of :data:`EXTRA` too (chapter 7's GELU orbits); for the others
    ``initlab.propagation.second_moment_map`` is the same map.

    >>> orbit = moment_orbit("gelu", 1.0, depth=40, c=2.0)   # He's √2 on GELU: q falls ×½ per layer
    >>> bool(orbit[-1] < 1e-9 and abs(orbit[-1] / orbit[-2] - 0.5) < 0.01)
    True
    """
    depth = validate.integer("depth", depth, low=0)
    q = [_check_q(q0)]
    for _ in range(depth):
        q.append(float(c) * second_moment_ratio(activation, q[-1]) * q[-1])
    return np.array(q)


def moment_gain(activation: str, q=1.0) -> float:
    r"""The gain g with :math:`g^2\,E[f(z)^2] = E[z^2] = q`: weights with
    :math:`\mathrm{Var}(w) = g^2/\text{fan\_in}` keep :math:`E[z^2] = q` from layer to layer.
    √2 for ReLU (any q), about 1.534 for GELU and 1.677 for Swish at q = 1.

    Examples
    --------
    >>> import math
    >>> math.isclose(moment_gain("relu"), math.sqrt(2))
    True
    >>> round(moment_gain("gelu"), 3), round(moment_gain("swish"), 3)
    (1.534, 1.677)
    """
    return 1.0 / math.sqrt(second_moment_ratio(activation, q))


# ---------------------------------------------------------------------------------------------
# Orthogonal products (Saxe et al. 2014)

def product_singular_values(depth: int = 50, n: int = 256, kind: str = "orthogonal",
                            seed=0) -> np.ndarray:
    r"""Singular values (descending) of :math:`W_{depth} \cdots W_1`, float64, for ``n × n``
    matrices that are ``"orthogonal"`` (Haar, :class:`initlab.initializers.Orthogonal`) or
    ``"gaussian"`` (i.i.d. :math:`N(0, 1/n)`, LeCun/Glorot for square layers).

    Orthogonal: all equal 1 up to rounding (Saxe et al. 2014). Gaussian: :math:`E[\|Wx\|^2] =
    \|x\|^2` per factor, yet the product's singular values spread over many orders of magnitude,
    most of them far below the largest.

    Examples
    --------
    >>> import numpy as np
    >>> orth = product_singular_values(depth=10, n=64, kind="orthogonal", seed=0)
    >>> bool(np.allclose(orth, 1.0))
    True
    >>> gauss = product_singular_values(depth=10, n=64, kind="gaussian", seed=0)
    >>> bool(gauss.max() / gauss.min() > 1e6)          # spread over more than 6 orders of magnitude
    True
    """
    kind = validate.choice("kind", kind, ("orthogonal", "gaussian"))
    rng = validate.rng(seed)
    product = np.eye(n)
    for _ in range(int(depth)):
        if kind == "orthogonal":
            w = initializers.Orthogonal()((n, n), seed=rng, dtype="float64")
        else:
            w = rng.standard_normal((n, n)) / math.sqrt(n)
        product = product @ w
    return np.linalg.svd(product, compute_uv=False)


# ---------------------------------------------------------------------------------------------
# A plain forward pass, and LSUV (Mishkin & Matas 2016)

def _standardize(z):
    """Batch normalization without its affine part: each unit to mean 0, variance 1 over the batch."""
    return (z - z.mean(axis=0)) / np.sqrt(z.var(axis=0) + 1e-5)


def residual_stds(depth=50, n=256, init="he_normal", branch_scale=1.0, normalize=False,
                  plain=False, batch=256, seed=0) -> np.ndarray:
    r"""The std of :math:`x_l` over ``depth`` residual blocks :math:`x_{l+1} = x_l + W_l\,
    \mathrm{ReLU}(u_l)`, float64, from a N(0, 1) batch. :math:`u_l = x_l`, or :math:`x_l`
    standardized per unit over the batch with ``normalize=True`` (a normalization layer in the
    branch); ``branch_scale`` multiplies every :math:`W_l` (:math:`1/\sqrt{depth}` keeps the sum
    bounded); ``plain=True`` drops the skip: :math:`x_{l+1} = W_l\,\mathrm{ReLU}(x_l)`.

    With He's :math:`W_l` each branch adds about :math:`E[x_l^2]`, so the variance doubles per
    block: the residual stream grows as :math:`2^l` without a remedy (chapter 7).

    >>> stds = residual_stds(depth=10, n=64)
    >>> bool(2**4 < (stds[-1] / stds[0]) ** 2 < 2**14)       # about 2^9 over 9 blocks
    True
    """
    rng = validate.rng(seed)
    init = initializers.get(init)
    h, stds = rng.standard_normal((validate.integer("batch", batch, low=2), validate.integer("n", n, low=1))), []
    for _ in range(validate.integer("depth", depth, low=1)):
        W = branch_scale * init((n, n), seed=rng, dtype="float64")
        u = (h - h.mean(axis=0)) / h.std(axis=0) if normalize else h
        f = np.maximum(u, 0) @ W
        h = f if plain else h + f
        stds.append(h.std())
    return np.array(stds)


def jacobian_singular_means(init="glorot_uniform", width=500, depth=5, seed=0) -> np.ndarray:
    r"""The mean singular value of each layer's Jacobian :math:`W_l\,\mathrm{diag}(\tanh'(z_l))`
    in a deep tanh network, float64, at one N(0, 1) input: the typical factor by which a layer
    stretches a small change of its input. Glorot & Bengio (2010) measured it for their two
    initializations (chapter 3). For a linear layer with i.i.d. weights the singular values follow
    the quarter-circle law, with mean :math:`\tfrac{8}{3\pi}\sqrt{n\,\mathrm{Var}(w)}`.

    >>> import math
    >>> means = jacobian_singular_means("glorot_uniform", width=200, depth=3)
    >>> bool(means[0] < means[1] < means[2] < 8 / (3 * math.pi))   # rising toward the law's mean
    True
    """
    rng = validate.rng(seed)
    width, init = validate.integer("width", width, low=1), initializers.get(init)
    a, means = rng.standard_normal((1, width)), []
    for _ in range(validate.integer("depth", depth, low=1)):
        W = init((width, width), seed=rng, dtype="float64")
        z = a @ W
        J = W * propagation.derivative("tanh", z)           # column k scaled by tanh'(z_k)
        means.append(np.sqrt(np.clip(np.linalg.eigvalsh(J.T @ J), 0, None)).mean())
        a = np.tanh(z)
    return np.array(means)


def forward_stds(weights, x, activation: str, batchnorm: bool = False) -> np.ndarray:
    """The std of each layer's output :math:`z_l = a_{l-1}W_l` (before the activation) for the
    input batch ``x``, float64. With ``batchnorm=True`` each :math:`z_l` is standardized per unit
    over the batch before the activation (Ioffe & Szegedy 2015, without the learned scale and
    shift); the std reported is still that of :math:`z_l` itself, before standardizing.

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.initializers import Orthogonal
    >>> x = np.random.default_rng(0).standard_normal((500, 64))
    >>> ws = [Orthogonal()((64, 64), seed=s) for s in range(5)]
    >>> forward_stds(ws, x, "relu").round(1)                  # ReLU halves E[z²]: × 1/√2 a layer
    array([1. , 0.7, 0.5, 0.3, 0.2])
    >>> forward_stds(ws, x, "relu", batchnorm=True).round(1)  # standardized: E[ReLU(z)²] = ½ each time
    array([1. , 0.7, 0.7, 0.7, 0.7])
    """
    a = np.asarray(x, dtype=np.float64)
    stds = []
    with np.errstate(all="ignore"):
        for w in weights:
            z = a @ w
            stds.append(float(z.std()))
            if not np.isfinite(stds[-1]):
                stds += [math.inf] * (len(weights) - len(stds))
                break
            a = activate(activation, _standardize(z) if batchnorm else z)
    return np.array(stds)


@dataclasses.dataclass(frozen=True, eq=False)
class LSUVResult:
    """What :func:`lsuv` returns: the rescaled ``weights`` (float64), the total factor each layer
    was multiplied by (``scales``), the rescaling passes each layer needed (``iterations``) and
    the std of every layer's output before the activation on the batch afterwards (``stds``,
    from :func:`forward_stds`).

    Examples
    --------
    >>> import numpy as np
    >>> from initlab.initializers import Orthogonal
    >>> x = np.random.default_rng(0).standard_normal((500, 64))
    >>> result = lsuv([Orthogonal()((64, 64), seed=s) for s in range(4)], x, "relu")
    >>> len(result.weights), result.stds.round(2), result.iterations
    (4, array([1., 1., 1., 1.]), array([0, 1, 1, 1]))
    """

    weights: list
    scales: np.ndarray
    iterations: np.ndarray
    stds: np.ndarray


def lsuv(weights, x, activation: str, tol: float = 0.01, max_iter: int = 10,
         where: str = "pre") -> LSUVResult:
    r"""Layer-sequential unit-variance initialization (Mishkin & Matas 2016, Algorithm 1).

    For l = 1, 2, …: run the batch ``x`` forward through the already rescaled layers 1..l−1,
    compute the variance v of layer l's output and set :math:`W_l \leftarrow W_l/\sqrt{v}`,
    until :math:`|v - 1| <` ``tol`` or ``max_iter`` passes. The output is
    :math:`z_l = a_{l-1}W_l` before the activation (``where="pre"``, the default), which is linear
    in :math:`W_l`, so one pass is exact; or :math:`f(z_l)` after it (``where="post"``, what an
    implementation with in-place activations measures), where the loop is needed because f is
    not homogeneous. The paper starts from orthogonal ``weights`` (:class:`initlab.initializers.Orthogonal`),
    but any start works. Returns an :class:`LSUVResult`; the input list is not modified. Raises
    ``ValueError`` when a layer's output has variance 0 or not finite on the batch.

    Example: ``lsuv([initializers.Orthogonal()((n, n), seed=s) for s in range(30)], x, "relu")``.

    Examples
    --------
    On ReLU layers LSUV finds He's factor by itself: every layer after the first is scaled by about √2.

    >>> import numpy as np
    >>> from initlab.initializers import Orthogonal
    >>> x = np.random.default_rng(0).standard_normal((500, 64))
    >>> result = lsuv([Orthogonal()((64, 64), seed=s) for s in range(10)], x, "relu")
    >>> result.stds.round(2)
    array([1., 1., 1., 1., 1., 1., 1., 1., 1., 1.])
    >>> round(float(result.scales[1:].mean()), 1)      # √2 = 1.41
    1.4
    """
    where = validate.choice("where", where, ("pre", "post"))
    x = np.asarray(x, dtype=np.float64)
    new, scales, iters = [], [], []
    a = x
    for w in weights:
        w = np.array(w, dtype=np.float64)
        scale, passes = 1.0, 0
        for _ in range(int(max_iter)):
            z = a @ w
            v = float((z if where == "pre" else activate(activation, z)).var())
            if not math.isfinite(v) or v == 0:
                raise ValueError(f"layer {len(new) + 1}: output variance is {v} on this batch; "
                                 f"LSUV cannot rescale it (dead or overflowing layer)")
            if abs(v - 1.0) < tol:
                break
            w /= math.sqrt(v)
            scale /= math.sqrt(v)
            passes += 1
        new.append(w)
        scales.append(scale)
        iters.append(passes)
        a = activate(activation, a @ w)
    return LSUVResult(new, np.array(scales), np.array(iters), forward_stds(new, x, activation))


# ---------------------------------------------------------------------------------------------
# The edge of chaos (Poole et al. 2016; Schoenholz et al. 2017)

def _check_sigmas(sigma_w, sigma_b):
    return validate.real("sigma_w", sigma_w), validate.real("sigma_b", sigma_b, low=0, low_open=False)


def _bisect(f, lo, hi, iterations=200):
    """A root of f in [lo, hi], given f(lo) and f(hi) of opposite signs."""
    flo = f(lo)
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        fm = f(mid)
        if (fm > 0) == (flo > 0):
            lo, flo = mid, fm
        else:
            hi = mid
        if hi - lo <= 1e-15 * max(1.0, abs(hi)):
            break
    return 0.5 * (lo + hi)


@functools.lru_cache(maxsize=1024)
def fixed_point_q(sigma_w: float, sigma_b: float = 0.0, activation: str = "tanh") -> float:
    r""":math:`q^*` with :math:`q^* = \sigma_w^2 E[\phi(\sqrt{q^*}z)^2] + \sigma_b^2`, the
    pre-activation variance a deep network settles at (bounded, odd φ with φ'(0) = 1 such as
    tanh). With :math:`\sigma_b = 0` and :math:`\sigma_w \le 1` it is 0."""
    sigma_w, sigma_b = _check_sigmas(sigma_w, sigma_b)
    m = lambda q: sigma_w**2 * gaussian_mean(lambda z: activate(activation, z) ** 2, q) + sigma_b**2
    if sigma_b == 0 and sigma_w <= 1.0:
        return 0.0
    hi = sigma_w**2 * 4.0 + sigma_b**2 + 1.0
    while m(hi) - hi > 0:
        hi *= 2
    lo = sigma_b**2 if sigma_b > 0 else 1e-12
    return _bisect(lambda q: m(q) - q, lo, hi)


def chi1(sigma_w: float, sigma_b: float = 0.0, activation: str = "tanh") -> float:
    r""":math:`\chi_1 = \sigma_w^2 E[\phi'(\sqrt{q^*}z)^2]` at the fixed point
    :func:`fixed_point_q`: the slope of the correlation map at c = 1 and the per-layer factor of
    the gradient's second moment. < 1 ordered, > 1 chaotic, = 1 the edge of chaos.

    Examples
    --------
    >>> round(chi1(0.5), 4), round(chi1(1.0), 4), round(chi1(2.0), 4)   # tanh, no biases
    (0.25, 1.0, 1.3627)
    """
    q = fixed_point_q(sigma_w, sigma_b, activation)
    return sigma_w**2 * gaussian_mean(lambda z: derivative(activation, z) ** 2, q)


def _pair(q, c, f, g):
    """E[f(u1) g(u2)] for (u1, u2) Gaussian with variances q and correlation c."""
    x, w = _nodes(64)
    s = math.sqrt(q)
    c = min(max(c, -1.0), 1.0)
    u1 = s * x[:, None]
    u2 = s * (c * x[:, None] + math.sqrt(max(0.0, 1.0 - c * c)) * x[None, :])
    return float(w @ (f(u1) * g(u2)) @ w)


def correlation_map(c: float, sigma_w: float, sigma_b: float = 0.0, activation: str = "tanh") -> float:
    r"""One layer of the correlation map at the fixed point :math:`q^*`:
    :math:`c \mapsto (\sigma_w^2 E[\phi(u_1)\phi(u_2)] + \sigma_b^2)/q^*`.

    Examples
    --------
    >>> round(correlation_map(1.0, sigma_w=1.5), 6)                 # c = 1 is always a fixed point
    1.0
    >>> round(correlation_map(0.5, sigma_w=0.5, sigma_b=0.3), 3)    # ordered: inputs grow alike
    0.896
    >>> round(correlation_map(0.5, sigma_w=2.5), 3)                 # chaotic: they grow apart
    0.433
    """
    q = fixed_point_q(sigma_w, sigma_b, activation)
    if q == 0:
        raise ValueError("q* = 0 (sigma_b = 0 and sigma_w <= 1): the signal dies and the "
                         "correlation is undefined; use sigma_b > 0")
    f = lambda u: activate(activation, u)
    return (sigma_w**2 * _pair(q, c, f, f) + sigma_b**2) / q


def correlation_fixed_point(sigma_w: float, sigma_b: float = 0.0, activation: str = "tanh") -> float:
    r"""The stable correlation :math:`c^*`: 1 in the ordered phase (:math:`\chi_1 \le 1`), the
    root below 1 of :math:`c = ` :func:`correlation_map` (c) in the chaotic phase (0 for an odd
    φ such as tanh without biases, since the map is then odd in c).

    Examples
    --------
    >>> correlation_fixed_point(0.5), round(correlation_fixed_point(2.5), 6)
    (1.0, 0.0)
    >>> round(correlation_fixed_point(2.5, sigma_b=0.3), 3)
    0.122
    """
    if chi1(sigma_w, sigma_b, activation) <= 1.0:
        return 1.0
    if sigma_b == 0 and float(activate(activation, -1.0)) == -float(activate(activation, 1.0)):
        return 0.0          # odd φ, no bias: c = 0 maps to 0 (and −1 to −1); 0 is the stable one
    g = lambda c: correlation_map(c, sigma_w, sigma_b, activation) - c
    lo, hi = 0.0, 1.0 - 1e-9
    if g(hi) >= 0:          # χ₁ so close to 1 that c* is within 1e-9 of 1
        return hi
    return _bisect(g, lo, hi, iterations=45)


def depth_scale(sigma_w: float, sigma_b: float = 0.0, activation: str = "tanh") -> float:
    r"""Schoenholz et al.'s :math:`\xi_c = -1/\ln\big(\sigma_w^2 E[\phi'(u_1)\phi'(u_2)]\big)` at
    :math:`c^*`: how many layers it takes a correlation to approach :math:`c^*` by a factor e.
    :math:`-1/\ln\chi_1` in the ordered phase; infinite at the edge of chaos.

    Examples
    --------
    >>> import math
    >>> math.isclose(depth_scale(0.5), -1 / math.log(chi1(0.5)))      # ordered: 1/ln 4
    True
    >>> depth_scale(1.0)                                              # the edge of chaos
    inf
    """
    c = correlation_fixed_point(sigma_w, sigma_b, activation)
    q = fixed_point_q(sigma_w, sigma_b, activation)
    d = lambda u: derivative(activation, u)
    chi_c = sigma_w**2 * _pair(q, c, d, d)
    return math.inf if chi_c >= 1.0 else -1.0 / math.log(chi_c)


def critical_sigma_w(sigma_b: float = 0.0, activation: str = "tanh") -> float:
    r"""The :math:`\sigma_w` with :math:`\chi_1 = 1` for the given :math:`\sigma_b`: the edge of
    chaos. 1 for tanh with :math:`\sigma_b = 0` (then :math:`q^* = 0` and
    :math:`\chi_1 = \sigma_w^2\phi'(0)^2`); larger for :math:`\sigma_b > 0`.

    Examples
    --------
    >>> critical_sigma_w()
    1.0
    >>> s = critical_sigma_w(sigma_b=0.3)
    >>> round(s, 3), round(chi1(s, sigma_b=0.3), 6)
    (1.396, 1.0)
    """
    _check_sigmas(1.0, sigma_b)
    if sigma_b == 0:
        return 1.0 / abs(float(derivative(activation, 0.0)))
    hi = 2.0
    while chi1(hi, sigma_b, activation) < 1:
        hi *= 2
    return _bisect(lambda s: chi1(s, sigma_b, activation) - 1.0, 1e-3, hi, iterations=60)


def correlation_curve(c0: float, depth: int, sigma_w: float, sigma_b: float = 0.0,
                      activation: str = "tanh") -> np.ndarray:
    """The theory's correlation after each of ``depth`` layers, ``c[l-1]`` = :math:`c_l`, for two
    inputs whose pre-activations start at the fixed point variance :math:`q^*` with correlation
    ``c0``: the orbit of :func:`correlation_map`. Compare with :func:`simulate_correlation`.

    Examples
    --------
    >>> correlation_curve(0.5, depth=4, sigma_w=2.5).round(3)                # chaotic: towards c* = 0
    array([0.433, 0.371, 0.316, 0.269])
    >>> correlation_curve(0.5, depth=4, sigma_w=0.8, sigma_b=0.3).round(3)   # ordered: towards 1
    array([0.755, 0.88 , 0.94 , 0.971])
    """
    c, out = float(c0), []
    for _ in range(int(depth)):
        c = correlation_map(c, sigma_w, sigma_b, activation)
        out.append(c)
    return np.array(out)


def simulate_correlation(c0: float, depth: int, sigma_w: float, sigma_b: float = 0.0,
                         width: int = 1000, activation: str = "tanh", seed=0) -> np.ndarray:
    r"""The correlation :math:`z^l_1\cdot z^l_2/(|z^l_1||z^l_2|)` of two inputs after each layer of
    one random network :math:`z^l = W^l\phi(z^{l-1}) + b^l`, :math:`W_{ij} \sim N(0,
    \sigma_w^2/n)`, :math:`b_i \sim N(0, \sigma_b^2)` (the same biases for both inputs), width
    ``width``, float64. The inputs :math:`z^0_1, z^0_2` are Gaussian vectors with variance
    :math:`q^*` (so the variance starts at its fixed point; :math:`q^* = 1` when it is 0) and
    correlation ``c0``. For large width it follows :func:`correlation_curve`.

    Examples
    --------
    >>> import numpy as np
    >>> sim = simulate_correlation(0.5, depth=5, sigma_w=2.5, width=1000, seed=0)
    >>> theory = correlation_curve(0.5, depth=5, sigma_w=2.5)
    >>> bool(sim[-1] < sim[0]), bool(np.abs(sim - theory).max() < 0.1)
    (True, True)
    """
    sigma_w, sigma_b = _check_sigmas(sigma_w, sigma_b)
    rng = validate.rng(seed)
    q = fixed_point_q(sigma_w, sigma_b, activation) or 1.0
    u, v = rng.standard_normal((2, width))
    z = math.sqrt(q) * np.stack([u, c0 * u + math.sqrt(1 - c0 * c0) * v])
    out = []
    for _ in range(int(depth)):
        w = rng.standard_normal((width, width)) * (sigma_w / math.sqrt(width))
        b = rng.standard_normal(width) * sigma_b
        z = activate(activation, z) @ w + b
        out.append(float(z[0] @ z[1] / (np.linalg.norm(z[0]) * np.linalg.norm(z[1]))))
    return np.array(out)

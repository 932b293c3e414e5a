r"""Initialization in modern networks: the computations behind chapter 8.

Each function is a small numpy experiment (the transformer ones use TensorFlow through
:func:`initlab.training.import_keras`, for its gradients):

* :func:`residual_stream`: the std of :math:`x_{l+1} = x_l + \eta_l F(x_l)` block by block, with
  plain, scaled, zero-initialized or normalized branches;
* :func:`attention_softmax`: how peaked the attention weights are, with and without
  :math:`1/\sqrt{d_k}`;
* :func:`transformer_stream`, :func:`transformer_gradients`: a small transformer at
  initialization, its residual stream (GPT-2's :math:`0.02/\sqrt{2N}`) and, Pre-LN against
  Post-LN, the gradient of each block (Xiong et al. 2020);
* :func:`coordinate_check`: the change of the activations after a few SGD steps against the
  width, in the standard, NTK and μP parametrizations (Yang & Hu 2021; Yang et al. 2022);
* :func:`initial_loss`: the cross-entropy of random logits of a given std against :math:`\ln C`;
* :func:`rnn_gradient_norms`, :class:`PerGateOrthogonal`, :class:`ChronoBias`: recurrent
  networks (Le et al. 2015; Tallec & Ollivier 2018);
* :func:`representation_similarity`: what un-centred inputs do to a deep ReLU network.

Importing this module imports only numpy.
"""

from __future__ import annotations

import math

import numpy as np

from . import initializers, validate

__all__ = ["residual_stream", "attention_softmax", "transformer_stream", "transformer_gradients", "coordinate_check",
           "PARAMETRIZATIONS", "initial_loss", "rnn_gradient_norms", "PerGateOrthogonal",
           "ChronoBias", "chrono_bias", "representation_similarity", "layer_norm", "gelu"]


def layer_norm(x, eps=1e-5):
    """Standardize each row of ``x`` (layer normalization without its gain and bias).

    >>> layer_norm(np.array([[1.0, 3.0]])).round(3)
    array([[-1.,  1.]])
    """
    mean = x.mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=-1, keepdims=True) + eps)


def gelu(z):
    """GELU, z·Φ(z), in the tanh approximation GPT-2 uses (Hendrycks & Gimpel 2016).

    >>> gelu(np.array([-3.0, 0.0, 3.0])).round(3)
    array([-0.004,  0.   ,  2.996])
    """
    return 0.5 * z * (1 + np.tanh(math.sqrt(2 / math.pi) * (z + 0.044715 * z**3)))


# ---------------------------------------------------------------------------------------------
# Residual streams

def residual_stream(depth=50, width=256, eta=1.0, branch="he", batch=256, seed=0) -> np.ndarray:
    r"""The std of the residual stream after each of ``depth`` blocks
    :math:`x_{l+1} = x_l + \eta_l F_l(x_l)`, :math:`F(x) = \mathrm{ReLU}(u W_1) W_2`.

    ``u`` is :math:`x` itself, or its layer norm for ``branch="pre_norm"``. :math:`W_1` is He
    (variance :math:`2/n`) and :math:`W_2` LeCun (:math:`1/n`), so a branch has the second moment
    of its input: :math:`E[F^2] = E[u^2]`. ``branch="zero"`` sets :math:`W_2 = 0` (Fixup's and
    SkipInit's start). ``eta`` is a number or a sequence of ``depth`` numbers. With
    :math:`E[x_0^2] = 1` the theory is :math:`E[x_L^2] = \prod_l (1 + \eta_l^2)` for ``"he"``,
    :math:`1 + \sum_l \eta_l^2` for ``"pre_norm"`` and 1 for ``"zero"``.

    >>> residual_stream(depth=3, branch="zero")
    array([1., 1., 1.])
    """
    branch = validate.choice("branch", branch, ("he", "pre_norm", "zero"))
    etas = np.broadcast_to(np.asarray(eta, dtype=np.float64), (depth,))
    rng = validate.rng(seed)
    x = rng.standard_normal((batch, width))
    x /= np.sqrt(np.mean(x**2))
    stds = []
    for e in etas:
        w1 = initializers.he_normal()((width, width), seed=rng, dtype="float64")
        if branch != "zero":
            w2 = initializers.lecun_normal()((width, width), seed=rng, dtype="float64")
            u = layer_norm(x) if branch == "pre_norm" else x
            x = x + e * (np.maximum(u @ w1, 0) @ w2)
        stds.append(float(np.sqrt(np.mean(x**2))))
    return np.array(stds)


# ---------------------------------------------------------------------------------------------
# Attention

def attention_softmax(d_k, *, keys=64, scaled=True, queries=2000, seed=0) -> dict:
    r"""How peaked softmax attention is at initialization, for ``d_k``-dimensional queries and
    keys with i.i.d. N(0, 1) entries.

    The logit :math:`q\cdot k = \sum_{i=1}^{d_k} q_i k_i` has variance :math:`d_k`, so without
    the :math:`1/\sqrt{d_k}` of Vaswani et al. (2017) its std is :math:`\sqrt{d_k}`. Returns the
    logits' std, the mean largest attention weight, the mean entropy over :math:`\ln(\text{keys})`
    (1 = uniform) and the mean Frobenius norm of the softmax Jacobian
    :math:`\mathrm{diag}(p) - pp^\top`, which is what the gradient passes through.

    >>> round(attention_softmax(256, scaled=False)["logit_std"])
    16
    """
    rng = validate.rng(seed)
    q = rng.standard_normal((queries, d_k))
    k = rng.standard_normal((keys, d_k))
    logits = q @ k.T / (math.sqrt(d_k) if scaled else 1.0)
    z = logits - logits.max(axis=1, keepdims=True)
    p = np.exp(z)
    p /= p.sum(axis=1, keepdims=True)
    entropy = -(p * np.log(np.maximum(p, 1e-300))).sum(axis=1)
    # ‖diag(p) − ppᵀ‖²_F = Σ p_i² − 2 Σ p_i³ + (Σ p_i²)²
    s2, s3 = (p**2).sum(axis=1), (p**3).sum(axis=1)
    jac = np.sqrt(np.maximum(s2 - 2 * s3 + s2**2, 0))
    return {"logit_std": float(logits.std()), "max_weight": float(p.max(axis=1).mean()),
            "entropy": float(entropy.mean() / math.log(keys)), "jacobian": float(jac.mean())}


def _block_weights(rng, d, std, proj_std, dtype):
    draw = lambda shape, s: (rng.standard_normal(shape) * s).astype(dtype)
    return {"qkv": draw((d, 3 * d), std), "proj": draw((d, d), proj_std),
            "fc": draw((d, 4 * d), std), "fc_proj": draw((4 * d, d), proj_std)}


def _attention(np_or_tf, u, w, heads, matmul, softmax):
    """Multi-head self-attention of ``u`` (batch, tokens, d) with the weights ``w``."""
    batch, tokens, d = u.shape
    dk = d // heads
    qkv = np_or_tf.reshape(matmul(u, w["qkv"]), (batch, tokens, 3, heads, dk))
    q, k, v = (np_or_tf.transpose(qkv[:, :, i], (0, 2, 1, 3)) for i in range(3))
    a = softmax(matmul(q, np_or_tf.transpose(k, (0, 1, 3, 2))) / math.sqrt(dk))
    return matmul(np_or_tf.reshape(np_or_tf.transpose(matmul(a, v), (0, 2, 1, 3)),
                                   (batch, tokens, d)), w["proj"])


def _softmax(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def transformer_stream(n_blocks=12, d=128, heads=4, tokens=32, batch=4, std=0.02,
                       proj_std=None, embed_std=0.02, seed=0) -> np.ndarray:
    r"""The std of the residual stream after each block of a Pre-LN (GPT-2-style) transformer at
    initialization, in numpy.

    Each block has two residual sublayers, :math:`x \leftarrow x + F(\mathrm{LN}(x))`:
    multi-head self-attention and an MLP (``d`` → ``4d`` → ``d``, GELU). Weights are
    N(0, ``std``\ ²), the two output projections N(0, ``proj_std``\ ²) (default ``std``; GPT-2's
    scaled init is ``std / √(2·n_blocks)``, Radford et al. 2019), biases 0, and the input is
    N(0, ``embed_std``\ ²), as GPT-2's token embeddings. Each sublayer adds about the same variance
    :math:`v`, so :math:`E[x_N^2] \approx \text{embed\_std}^2 + 2N v`, or
    :math:`\text{embed\_std}^2 + v` with the scaled projections.

    >>> transformer_stream(n_blocks=2, d=32, tokens=4, batch=2).shape
    (2,)
    """
    rng = validate.rng(seed)
    proj_std = std if proj_std is None else proj_std
    x = rng.standard_normal((batch, tokens, d)) * embed_std
    stream = []
    for _ in range(n_blocks):
        w = _block_weights(rng, d, std, proj_std, np.float64)
        x = x + _attention(np, layer_norm(x), w, heads, np.matmul, _softmax)
        x = x + gelu(layer_norm(x) @ w["fc"]) @ w["fc_proj"]
        stream.append(float(np.sqrt(np.mean(x**2))))
    return np.array(stream)


def transformer_gradients(n_blocks=6, d=64, heads=4, tokens=16, batch=4, std=None,
                          post_ln=False, seed=0) -> dict:
    r"""Pre-LN against Post-LN at initialization (Xiong et al. 2020), in TensorFlow.

    Pre-LN: :math:`x \leftarrow x + F(\mathrm{LN}(x))` and a final LN; Post-LN (the original
    transformer): :math:`x \leftarrow \mathrm{LN}(x + F(x))`. Weights N(0, ``std``\ ²), default
    :math:`1/d` in variance (the Xavier-like scale Xiong et al. analyse), biases 0, input
    N(0, 1); loss :math:`\sum y \odot g` on the final output :math:`y` with a fixed random
    :math:`g`. Returns ``grad_norm``, the Frobenius norm of :math:`\partial\mathcal{L}/\partial W`
    for each block's last MLP matrix, and ``stream``, the std of :math:`x` after each block.

    >>> out = transformer_gradients(n_blocks=2, d=16, tokens=4, batch=2)
    >>> len(out["grad_norm"])
    2
    """
    from .quiet_keras import import_keras

    import_keras()
    import tensorflow as tf

    rng = validate.rng(seed)
    std = 1 / math.sqrt(d) if std is None else std
    blocks = [{k: tf.Variable(v) for k, v in _block_weights(rng, d, std, std, np.float32).items()}
              for _ in range(n_blocks)]
    x0 = tf.constant(rng.standard_normal((batch, tokens, d)), tf.float32)
    g = tf.constant(rng.standard_normal((batch, tokens, d)), tf.float32)
    ln = lambda v: tf.nn.batch_normalization(
        v, *tf.nn.moments(v, [-1], keepdims=True), None, None, 1e-5)
    subs = (lambda u, w: _attention(tf, u, w, heads, tf.matmul, tf.nn.softmax),
            lambda u, w: tf.nn.gelu(u @ w["fc"], approximate=True) @ w["fc_proj"])
    stream = []
    with tf.GradientTape() as tape:
        x = x0
        for w in blocks:
            for sub in subs:
                x = ln(x + sub(x, w)) if post_ln else x + sub(ln(x), w)
            stream.append(float(tf.math.reduce_std(x)))
        loss = tf.reduce_sum((x if post_ln else ln(x)) * g)
    grads = tape.gradient(loss, [w["fc_proj"] for w in blocks])
    return {"grad_norm": np.array([float(tf.norm(v)) for v in grads]), "stream": np.array(stream)}


# ---------------------------------------------------------------------------------------------
# Width: standard, NTK and μP parametrizations

#: For each parametrization, the per-layer (init variance multiplier, learning-rate multiplier)
#: as functions of m = width / base width, for the input, hidden and output weights of an MLP
#: trained with SGD (Yang & Hu 2021; Yang et al. 2022, table 3). All three agree at m = 1.
PARAMETRIZATIONS = {
    "standard": ((lambda m: 1.0, lambda m: 1.0), (lambda m: 1.0, lambda m: 1.0),
                 (lambda m: 1.0, lambda m: 1.0)),
    "ntk": ((lambda m: 1.0, lambda m: 1.0), (lambda m: 1.0, lambda m: 1 / m),
            (lambda m: 1.0, lambda m: 1 / m)),
    "mup": ((lambda m: 1.0, lambda m: m), (lambda m: 1.0, lambda m: 1.0),
            (lambda m: 1 / m, lambda m: 1 / m)),
}


def _mlp_step(ws, lrs, x):
    """One SGD step on ℒ = mean f for f = relu(relu(x W1) W2) W3; updates ``ws`` in place."""
    z1 = x @ ws[0]
    h1 = np.maximum(z1, 0)
    z2 = h1 @ ws[1]
    h2 = np.maximum(z2, 0)
    df = np.full((len(x), 1), 1 / len(x))          # ∂ℒ/∂f
    d2 = (df @ ws[2].T) * (z2 > 0)
    d1 = (d2 @ ws[1].T) * (z1 > 0)
    for w, lr, g in zip(ws, lrs, (x.T @ d1, h1.T @ d2, h2.T @ df)):
        w -= lr * g


def coordinate_check(widths=(128, 256, 512, 1024, 2048), parametrization="mup", steps=3,
                     lr=0.02, base_width=128, n_in=32, batch=64, seeds=(0, 1)) -> dict:
    r"""The μP papers' coordinate check on a 3-layer ReLU MLP: how much the last hidden layer's
    activations and the output have moved after each of ``steps`` SGD steps, against the width.

    Init: He for the input and hidden weights (variance :math:`2/\text{fan}_\text{in}`),
    :math:`1/\text{fan}_\text{in}` for the output weights, each times the parametrization's
    variance multiplier; learning rate ``lr`` times its multiplier (:data:`PARAMETRIZATIONS`,
    relative to ``base_width``). One fixed batch of N(0, 1) inputs, one output, and the loss
    ℒ = mean f, so that every step pushes with the same gradient and the change measures the
    parametrization alone. Returns ``hidden`` and ``output``, arrays of shape
    (steps, len(widths)): the root mean square of :math:`h_t - h_0` and of :math:`f_t - f_0`,
    averaged over ``seeds``. In μP both stay of the same size at every width; in the standard
    parametrization they grow with the width (a fixed learning rate eventually diverges), in NTK
    the hidden change shrinks like :math:`1/\sqrt{n}`: the features stop learning.

    >>> c = coordinate_check(widths=(64, 128), steps=1, seeds=(0,))
    >>> c["hidden"].shape
    (1, 2)
    """
    parametrization = validate.choice("parametrization", parametrization, PARAMETRIZATIONS)
    rules = PARAMETRIZATIONS[parametrization]
    hidden, output = np.zeros((steps, len(widths))), np.zeros((steps, len(widths)))
    for seed in seeds:
        rng = validate.rng(seed)
        x = rng.standard_normal((batch, n_in))
        for j, n in enumerate(widths):
            m, shapes = n / base_width, ((n_in, n), (n, n), (n, 1))
            ws = [rng.standard_normal(s) * math.sqrt(v * rule[0](m))
                  for s, v, rule in zip(shapes, (2 / n_in, 2 / n, 1 / n), rules)]
            lrs = [lr * rule[1](m) for rule in rules]
            h0 = np.maximum(np.maximum(x @ ws[0], 0) @ ws[1], 0)
            f0 = h0 @ ws[2]
            for t in range(steps):
                _mlp_step(ws, lrs, x)
                h = np.maximum(np.maximum(x @ ws[0], 0) @ ws[1], 0)
                hidden[t, j] += np.sqrt(np.mean((h - h0) ** 2)) / len(seeds)
                output[t, j] += np.sqrt(np.mean((h @ ws[2] - f0) ** 2)) / len(seeds)
    return {"widths": np.array(widths), "hidden": hidden, "output": output}


# ---------------------------------------------------------------------------------------------
# The output layer

def initial_loss(classes, logit_std, samples=20_000, seed=0) -> float:
    r"""The mean cross-entropy of logits drawn i.i.d. N(0, ``logit_std``\ ²) over ``classes``
    classes: :math:`E[\ln\sum_c e^{z_c} - z_y]`. It is :math:`\ln C` at std 0 and about
    :math:`\ln C + \tfrac12 s^2 (1 - 1/C)` for a small std :math:`s`.

    >>> round(initial_loss(10, 0.0), 6) == round(math.log(10), 6)
    True
    """
    z = validate.rng(seed).standard_normal((samples, classes)) * logit_std
    top = z.max(axis=1)
    lse = top + np.log(np.exp(z - top[:, None]).sum(axis=1))
    return float(np.mean(lse - z[:, 0]))


# ---------------------------------------------------------------------------------------------
# Recurrent networks

def rnn_gradient_norms(steps=100, units=128, activation="tanh", recurrent="orthogonal",
                       inputs=16, input_std=1.0, seed=0) -> np.ndarray:
    r"""How a perturbation of the first hidden state reaches step t of a simple RNN
    :math:`h_t = f(h_{t-1} W + x_t U)`: :math:`\lVert J_t v\rVert` for a random unit vector
    :math:`v`, where :math:`J_t = \partial h_t / \partial h_0`. It is also how far back a gradient
    flows. ``recurrent`` is ``"orthogonal"``, ``"identity"`` (IRNN, Le et al. 2015) or
    ``"glorot"`` (Keras' kernel default); U is Glorot; :math:`x_t \sim N(0, \text{input\_std}^2)`.

    >>> float(rnn_gradient_norms(steps=5, activation="linear", recurrent="identity")[-1])
    1.0
    """
    rng = validate.rng(seed)
    W = {"orthogonal": lambda: initializers.orthogonal()((units, units), seed=rng, dtype="float64"),
         "identity": lambda: np.eye(units),
         "glorot": lambda: initializers.glorot_uniform()((units, units), seed=rng, dtype="float64")}
    recurrent = validate.choice("recurrent", recurrent, tuple(W))
    activation = validate.choice("activation", activation, ("tanh", "relu", "linear"))
    w = W[recurrent]()
    u = initializers.glorot_uniform()((inputs, units), seed=rng, dtype="float64")
    h, v = np.zeros(units), rng.standard_normal(units)
    v /= np.linalg.norm(v)
    norms = []
    for _ in range(steps):
        z = h @ w + input_std * rng.standard_normal(inputs) @ u
        h = {"tanh": np.tanh, "relu": lambda a: np.maximum(a, 0), "linear": lambda a: a}[activation](z)
        slope = {"tanh": 1 - h**2, "relu": (z > 0).astype(float), "linear": 1.0}[activation]
        v = slope * (v @ w)
        norms.append(float(np.linalg.norm(v)))
    return np.array(norms)


class PerGateOrthogonal:
    """A Keras initializer for a recurrent kernel of shape (units, gates·units) that draws an
    independent orthogonal matrix for each gate's (units, units) block.

    Keras' ``Orthogonal`` on the whole (units, 4·units) LSTM kernel makes its *rows* orthonormal;
    each gate's block then has singular values spread between 0 and 1 (about ½ on average), so no
    gate maps the state isometrically. Per gate, every singular value is ``gain``. Use it as
    ``keras.layers.LSTM(units, recurrent_initializer=PerGateOrthogonal(4, seed=0))`` (3 for GRU).

    >>> w = PerGateOrthogonal(4, seed=0)((8, 32))
    >>> bool(np.allclose(w[:, 8:16].T @ w[:, 8:16], np.eye(8), atol=1e-6))
    True
    """

    def __init__(self, gates=4, gain=1.0, seed=None):
        self.gates, self.gain, self.seed = int(gates), float(gain), seed
        self._rng = validate.rng(seed)

    def __call__(self, shape, dtype=None):
        units, total = int(shape[0]), int(shape[-1])
        if len(shape) != 2 or total != self.gates * units:
            raise ValueError(f"PerGateOrthogonal({self.gates}) needs a kernel of shape "
                             f"(units, {self.gates}·units), got {tuple(shape)}")
        blocks = [initializers.orthogonal(self.gain)((units, units), seed=self._rng, dtype="float64")
                  for _ in range(self.gates)]
        return np.concatenate(blocks, axis=1).astype(str(dtype or "float32").split(".")[-1])

    def get_config(self):
        return {"gates": self.gates, "gain": self.gain, "seed": self.seed}


def chrono_bias(units, t_max, seed=None) -> tuple[np.ndarray, np.ndarray]:
    r"""Tallec & Ollivier (2018)'s chrono initialization of an LSTM's gate biases:
    :math:`b_f = \ln u`, :math:`u \sim U(1, T_\text{max} - 1)`, and :math:`b_i = -b_f`.

    A forget gate :math:`\sigma(b_f)` keeps a fraction :math:`\sigma(b_f)` of the cell per step,
    a memory time of :math:`1/(1 - \sigma(b_f)) = 1 + e^{b_f} = 1 + u` steps: chrono spreads the
    units' memory times evenly over [2, ``t_max``], where Keras' forget bias 1 gives every unit
    :math:`1 + e \approx 3.7` steps. Returns (forget bias, input bias).

    >>> f, i = chrono_bias(1000, 100, seed=0)
    >>> bool((1 + np.exp(f)).min() >= 2 and (1 + np.exp(f)).max() <= 100 and (i == -f).all())
    True
    """
    if not t_max > 2:
        raise ValueError(f"t_max must be > 2 (the longest dependency, in steps), got {t_max!r}")
    forget = np.log(validate.rng(seed).uniform(1, t_max - 1, int(units)))
    return forget, -forget


class ChronoBias:
    """Chrono initialization as a Keras bias initializer for ``LSTM(units, unit_forget_bias=False,
    bias_initializer=ChronoBias(t_max))``; Keras orders the gates input, forget, cell, output.

    >>> b = ChronoBias(50, seed=0)((4 * 6,))
    >>> bool(np.allclose(b[:6], -b[6:12]) and (b[12:] == 0).all())
    True
    """

    def __init__(self, t_max, seed=None):
        self.t_max, self.seed = t_max, seed

    def __call__(self, shape, dtype=None):
        units = int(shape[0]) // 4
        forget, inp = chrono_bias(units, self.t_max, self.seed)
        return np.concatenate([inp, forget, np.zeros(2 * units)]).astype(
            str(dtype or "float32").split(".")[-1])

    def get_config(self):
        return {"t_max": self.t_max, "seed": self.seed}


# ---------------------------------------------------------------------------------------------
# Inputs

def representation_similarity(x, depth=20, width=256, seed=0) -> np.ndarray:
    r"""The mean cosine similarity between the representations of different examples after each
    layer of a He-initialized ReLU network (zero biases) fed with the rows of ``x``.

    Un-centred inputs (all features ≥ 0) share a common direction; a ReLU network at
    initialization keeps it, and the examples look more and more alike with depth.

    >>> x = np.random.default_rng(0).standard_normal((64, 32))
    >>> float(representation_similarity(x, depth=1)[0]) < 0.8
    True
    """
    rng = validate.rng(seed)
    a, sims = np.asarray(x, dtype=np.float64), []
    for _ in range(depth):
        a = np.maximum(a @ initializers.he_normal()((a.shape[1], width), seed=rng, dtype="float64"), 0)
        unit = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-300)
        gram = unit @ unit.T
        n = len(a)
        sims.append(float((gram.sum() - np.trace(gram)) / (n * (n - 1))))
    return np.array(sims)

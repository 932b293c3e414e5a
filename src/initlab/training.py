r"""Small, seeded, quiet Keras training runs, to see what an initializer does to learning.

:func:`train` fits a dense classifier, ``depth`` hidden layers of ``width`` units and a softmax
output, and returns a :class:`TrainingRun` with the per-epoch history and the diagnostics of
Karpathy's "makemore part 3" lecture:

* ``initial_loss`` against ``chance_loss`` = ln(#classes): a sensible init starts near chance
  (the output is almost uniform), a bad one far above it;
* ``grad_norms``: each layer's kernel-gradient norm at step 0, first layer to last. The gradient
  ``h_{l−1}ᵀ δ_l`` multiplies the forward signal reaching layer l by the backward signal leaving
  it, so a weight scale that shrinks both (``RandomNormal(0.05)`` in a deep ReLU net) makes it
  tiny in *every* layer, about 1e-6 against He's 0.5 at depth 10, rather than only in the first;
  a slope across layers shows the forward and backward factors out of balance;
* ``update_ratios``: the update:data ratio ``‖ΔW‖ / ‖W‖`` per layer and epoch.

Initializers are given as Keras names (``"he_normal"``), initlab names or objects (mapped to the
equivalent Keras initializer by :func:`keras_initializer`), or Keras initializer objects.

Runs are reproducible: ``seed`` goes to ``keras.utils.set_random_seed`` (Python, NumPy and
TensorFlow: the weights) and to the NumPy generator that shuffles the minibatches, and
``tf.config.experimental.enable_op_determinism()`` is switched on, so on CPU the same arguments
give the same history and weights bit for bit, within a process (tested) and across processes
(checked by hand with TensorFlow 2.21 / Keras 3.15). On the 2-core machine this was already true
without op determinism, but the two modes pick different kernels and so give (equally valid)
different numbers; it is always on so that results do not depend on what ran before. It is a
process-wide TensorFlow setting and stays on.

Runs are quiet: nothing is printed, there are no progress bars, and TensorFlow loads silently on
every CPU (see ``initlab.quiet_keras.import_keras``, re-exported here as ``import_keras``).
``import initlab.training`` does not import TensorFlow; the first run does (a few seconds, once).
"""

from __future__ import annotations

import dataclasses
import math
import time

import numpy as np

from . import initializers, validate
from .data import Dataset, load
from .quiet_keras import import_keras

__all__ = ["TrainingRun", "train", "build_model", "keras_initializer", "import_keras", "bn_relu"]


# ---------------------------------------------------------------------------------------------
# Checking arguments: errors name what is valid.

def _public_names(module, keep):
    return sorted(n for n in dir(module) if not n.startswith("_") and keep(getattr(module, n)))


def _activation(keras, activation):
    if callable(activation):
        return activation
    valid = _public_names(keras.activations, callable)
    valid = [n for n in valid if n not in ("get", "serialize", "deserialize")]
    if not isinstance(activation, str):
        raise TypeError(f"activation must be a Keras activation name or a function, "
                        f"got {type(activation).__name__} {activation!r}")
    if activation.lower() not in valid:
        raise ValueError(validate.unknown("activation", activation, valid))
    return activation.lower()


def _optimizer(keras, optimizer, learning_rate):
    """A fresh optimizer: a name builds one with ``learning_rate``; an object is cloned from its
    config (so its own learning rate counts and its state is not shared between runs)."""
    base = keras.optimizers.Optimizer
    if isinstance(optimizer, base):
        return type(optimizer).from_config(optimizer.get_config())
    classes = {n.lower(): getattr(keras.optimizers, n) for n in _public_names(
        keras.optimizers, lambda c: isinstance(c, type) and issubclass(c, base))}
    for wrapper in ("optimizer", "lossscaleoptimizer", "multioptimizer"):
        classes.pop(wrapper, None)
    if not isinstance(optimizer, str):
        raise TypeError(f"optimizer must be a Keras optimizer name such as 'adam' or a "
                        f"keras.optimizers.Optimizer, got {type(optimizer).__name__}")
    if optimizer.lower() not in classes:
        raise ValueError(validate.unknown("optimizer", optimizer, sorted(classes)) +
                         " Or pass a keras.optimizers.Optimizer object.")
    return classes[optimizer.lower()](learning_rate=validate.real("learning_rate", learning_rate))


# ---------------------------------------------------------------------------------------------
# Initializers: initlab -> Keras

def keras_initializer(init):
    """The Keras initializer for one layer's weights, given ``init``:

    * an initlab name or object (see :func:`initlab.initializers.get`) maps to the equivalent
      Keras class with the same parameters: the variance-scaling presets (He, Glorot, LeCun,
      ``glorot_standard``) to ``keras.initializers.VarianceScaling(scale, mode, distribution)``,
      the historical heuristics (``numpy_rand``, ``uniform_pm03``, ``uniform_pm1``) to
      ``RandomUniform``, and ``zeros``/``ones``/``constant``, ``random_normal``,
      ``random_uniform``, ``truncated_normal``, ``orthogonal``, ``identity`` to their classes;
    * any other name Keras knows (e.g. ``"variance_scaling"``) is looked up by Keras;
    * a Keras initializer object: a random one (it has a ``seed``) is cloned from its config,
      because a Keras random initializer returns the same values on every call, even unseeded.
      An unseeded clone gets a fresh seed, so each layer draws its own kernel; an int-seeded clone
      keeps the seed, so equal-shaped layers get the *same* kernel, as when one seeded object is
      passed to several Keras layers (chapter 6). Deterministic ones (``Zeros``, ``Constant``,
      ``Identity``, …) are returned as they are;
    * another initlab ``Initializer`` subclass (your own) is sampled with numpy;
    * any other callable ``f(shape, dtype=None)`` is returned as is.

    The Keras twins of initlab initializers are unseeded, new objects on every call; each draws
    its own seed from Python's ``random``, which ``keras.utils.set_random_seed`` seeds. Unknown
    names raise ``ValueError`` with the closest valid name.

    Examples
    --------
    >>> init = keras_initializer("he_normal")
    >>> type(init).__name__, init.scale, init.mode, init.distribution
    ('VarianceScaling', 2.0, 'fan_in', 'truncated_normal')
    >>> type(keras_initializer("uniform_pm03")).__name__
    'RandomUniform'
    >>> keras_initializer("he_norml")
    Traceback (most recent call last):
    ...
    ValueError: unknown initializer 'he_norml'. Did you mean 'he_normal'? Valid: ...
    """
    keras = import_keras()
    K = keras.initializers
    if isinstance(init, K.Initializer):
        # Keras' random initializers repeat their draws on every call, so each layer gets a clone
        # (an unseeded clone draws a fresh seed); deterministic ones are shared as they are.
        return type(init).from_config(init.get_config()) if hasattr(init, "seed") else init
    if isinstance(init, str):
        try:
            init = initializers.get(init)
        except ValueError as error:
            try:
                return K.get(init)
            except (ValueError, TypeError):
                raise error from None
    if isinstance(init, initializers.Initializer):
        return _to_keras(K, init)
    if callable(init):
        return init
    raise TypeError(f"init must be an initializer name (e.g. one of "
                    f"{', '.join(initializers.NAMES)}), an initlab or Keras initializer object, "
                    f"or a callable f(shape, dtype=None); got {type(init).__name__}")


def _to_keras(K, init):
    """The Keras twin of an initlab initializer, unseeded, with the same parameters."""
    ini = initializers
    kind = type(init)
    if kind is ini.Constant:
        return K.Zeros() if init.value == 0 else K.Ones() if init.value == 1 else K.Constant(
            init.value)
    if kind is ini.RandomNormal:
        return K.RandomNormal(init.mean, init.stddev)
    if kind is ini.RandomUniform:
        return K.RandomUniform(init.minval, init.maxval)
    if kind is ini.TruncatedNormal:
        return K.TruncatedNormal(init.mean, init.stddev)
    if kind is ini.VarianceScaling:
        return K.VarianceScaling(init.scale, init.mode, init.distribution)
    if kind is ini.Orthogonal:
        return K.Orthogonal(init.gain)
    if kind is ini.Identity:
        return K.Identity(init.gain)
    return _NumpyDraw(init)


class _NumpyDraw:
    """A user's own initlab initializer as a Keras callable: numpy draws, seeded from Python's
    ``random`` (which ``keras.utils.set_random_seed`` seeds), one fresh seed per layer."""

    def __init__(self, init):
        import random

        self.init, self.seed = init, random.randrange(2**32)

    def __call__(self, shape, dtype=None):
        return self.init(tuple(shape), seed=self.seed, dtype=str(dtype or "float32"))


# ---------------------------------------------------------------------------------------------
# The model

def build_model(n_features: int, n_classes: int, init="he_normal", activation="relu",
                depth: int = 1, width: int = 128, bias_init="zeros", output_init=None,
                seed: int | None = None):
    """The uncompiled Keras model :func:`train` uses, to inspect its layers and weights.

    ``keras.Sequential``: an ``Input(n_features)``, then ``depth`` hidden ``Dense(width,
    activation)`` layers named ``hidden_1`` … and a ``Dense(n_classes, "softmax")`` named
    ``output``. ``depth=0`` is softmax regression. Every layer gets its own kernel initializer
    built from ``init`` (``output_init`` for the output layer if given) by
    :func:`keras_initializer`, and its bias initializer from ``bias_init``. With ``seed``,
    ``keras.utils.set_random_seed(seed)`` is called first, so the weights are reproducible.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> model = build_model(64, 10, init="he_normal", depth=2, width=32)
    >>> [(layer.name, tuple(layer.kernel.shape)) for layer in model.layers]
    [('hidden_1', (64, 32)), ('hidden_2', (32, 32)), ('output', (32, 10))]
    >>> std = float(np.std(model.layers[0].kernel.numpy()))
    >>> abs(std - math.sqrt(2 / 64)) < 0.02          # He: σ = √(2/fan_in)
    True
    """
    keras = import_keras()
    n_features = validate.integer("n_features", n_features, low=1)
    n_classes = validate.integer("n_classes", n_classes, low=2)
    depth, width = validate.integer("depth", depth, low=0), validate.integer("width", width, low=1)
    activation = _activation(keras, activation)
    output_init = init if output_init is None else output_init
    for given in (init, bias_init, output_init):
        keras_initializer(given)  # fail early, with a clear message
    if seed is not None:  # after the checks above, which may draw from Python's random
        keras.utils.set_random_seed(validate.int_seed(seed))
    layers = [keras.Input((n_features,), name="input")]
    layers += [keras.layers.Dense(width, activation=activation, name=f"hidden_{i + 1}",
                                  kernel_initializer=keras_initializer(init),
                                  bias_initializer=keras_initializer(bias_init))
               for i in range(depth)]
    layers.append(keras.layers.Dense(n_classes, activation="softmax", name="output",
                                     kernel_initializer=keras_initializer(output_init),
                                     bias_initializer=keras_initializer(bias_init)))
    return keras.Sequential(layers, name=f"mlp_{depth}x{width}")


# ---------------------------------------------------------------------------------------------
# Training

@dataclasses.dataclass(frozen=True, eq=False)
class TrainingRun:
    """The result of :func:`train`.

    * ``history``: per-epoch lists ``loss``, ``accuracy`` (training set, averaged over the
      epoch's steps, as Keras reports them) and ``val_loss``, ``val_accuracy`` (the test split,
      after the epoch).
    * ``initial_loss``: the mean loss on the whole training set before any step;
      ``chance_loss`` = ln(n_classes), the loss of a uniform prediction, for comparison.
    * ``grad_norms``: the Frobenius norm of each layer's kernel gradient at step 0 on a fixed
      batch (the first ``batch_size`` training samples), shape ``(depth + 1,)``, first layer to
      output layer.
    * ``update_ratios``: ``‖W_e − W_{e−1}‖ / ‖W_{e−1}‖`` per epoch and layer (shape
      ``(epochs, depth + 1)``, row 0 is the first epoch); NaN where the kernel was all zeros.
      Karpathy ("makemore part 3") watches the per-step ratio, about 1e-3 when learning goes
      well; an epoch sums ``ceil(n_train / batch_size)`` steps, so expect the per-epoch ratio to
      be larger. What it shows is the spread across layers: a layer that barely moves, or one
      that moves far more than the others, is badly scaled.
    * ``seconds``: wall time of building, diagnosing and fitting (not TensorFlow's first import).
    * ``settings``: the arguments of the run; ``model``: the trained Keras model.

    Examples
    --------
    With all-zero weights every output is the same, so the first loss is exactly that of a uniform
    guess, ln 10, and with ReLU neither kernel gets a gradient at the first step (chapter 1):

    >>> run = train("digits", init="zeros", depth=1, width=32, epochs=1)
    >>> round(run.initial_loss, 3), round(run.chance_loss, 3)
    (2.303, 2.303)
    >>> run.grad_norms
    array([0., 0.])
    >>> list(run.history)
    ['loss', 'accuracy', 'val_loss', 'val_accuracy']
    """

    history: dict
    initial_loss: float
    chance_loss: float
    grad_norms: np.ndarray
    update_ratios: np.ndarray
    seconds: float
    settings: dict
    model: object = dataclasses.field(repr=False)

    @property
    def final_accuracy(self) -> float:
        """Test accuracy after the last epoch."""
        return self.history["val_accuracy"][-1]

    def epochs_to(self, target: float) -> int | None:
        """The first epoch (counting from 1) whose test accuracy reaches ``target``; None if no
        epoch does. Chapter 7 compares initializers by it.

        >>> run = TrainingRun({"val_accuracy": [0.5, 0.92, 0.95]}, 2.3, 2.3, None, None, 1.0, {}, None)
        >>> run.epochs_to(0.9), run.epochs_to(0.99)
        (2, None)
        """
        target = validate.real("target", target, high=1)
        hits = [e for e, a in enumerate(self.history["val_accuracy"], start=1) if a >= target]
        return hits[0] if hits else None


def _kernels(model):
    return [layer.kernel for layer in model.layers]


def _update_ratios(old, new) -> list:
    """``‖new − old‖ / ‖old‖`` per kernel, in float64; NaN where ``old`` is all zeros."""
    ratios = []
    for a, b in zip(old, new):
        size = np.linalg.norm(a.astype(np.float64))
        change = np.linalg.norm(b.astype(np.float64) - a)
        ratios.append(change / size if size > 0 else math.nan)
    return ratios


def train(data="digits", init="he_normal", activation="relu", depth: int = 1, width: int = 128,
          epochs: int = 5, optimizer="adam", learning_rate: float = 1e-3, batch_size: int = 64,
          seed: int = 0, bias_init="zeros", output_init=None) -> TrainingRun:
    """Train a dense softmax classifier on ``data`` and return a :class:`TrainingRun`.

    Use it to compare initializers on real data: ``train(data, init="zeros")`` against
    ``train(data, init="he_normal")``, or a deep ReLU net (``depth=15, width=64``) with
    ``"random_normal"`` against ``"he_normal"`` (He et al. 2015).

    * ``data``: an :class:`initlab.data.Dataset` or a name for :func:`initlab.data.load`.
    * ``init``, ``bias_init``, ``output_init`` (default: ``init``): anything
      :func:`keras_initializer` accepts.
    * ``activation``: a Keras activation name (``"relu"``, ``"tanh"``, ``"selu"``, …) or callable,
      for the hidden layers.
    * ``depth`` hidden layers (0 is softmax regression) of ``width`` units: see
      :func:`build_model`.
    * ``optimizer``: a Keras optimizer name (``"adam"``, ``"sgd"``, …) built with
      ``learning_rate``, or a Keras optimizer object (cloned; its own learning rate is used).
    * ``epochs``; ``batch_size``: minibatch size, the training set is reshuffled every epoch.
    * ``seed``: fixes the weights, the shuffling and hence the whole history.

    The loop does what ``model.fit`` does (shuffled minibatches, sparse categorical cross-entropy
    on the softmax output, one optimizer step per batch, the test split evaluated after each
    epoch), written out with ``tf.GradientTape`` because it traces about twice as fast: on the
    2-core machine a 5-epoch run on digits takes about a second of CPU for one hidden layer of 128
    and 2–3 s for 15 layers of 64. The returned model is compiled, so ``run.model.evaluate(...)``
    works.

    Examples
    --------
    One short run (see :class:`TrainingRun` for what it holds):

    >>> run = train("digits", init="he_normal", depth=1, width=32, epochs=2, seed=0)
    >>> len(run.history["val_accuracy"]), run.grad_norms.shape, run.update_ratios.shape
    (2, (2,), (2, 2))
    >>> run.settings["init"], run.settings["epochs"]
    ('he_normal', 2)
    """
    if isinstance(data, str):
        data = load(data)
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an initlab.data.Dataset or a data set name, "
                        f"got {type(data).__name__}")
    epochs = validate.integer("epochs", epochs, low=1)
    batch_size = validate.integer("batch_size", batch_size, low=1)
    seed = validate.int_seed(seed)
    keras = import_keras()
    import tensorflow as tf

    opt = _optimizer(keras, optimizer, learning_rate)
    settings = dict(data=data.name, init=init, activation=activation, depth=depth, width=width,
                    epochs=epochs, optimizer=optimizer, learning_rate=_learning_rate(opt),
                    batch_size=batch_size, seed=seed, bias_init=bias_init,
                    output_init=output_init)
    start = time.perf_counter()
    tf.config.experimental.enable_op_determinism()
    model = build_model(data.n_features, data.n_classes, init, activation, depth, width,
                        bias_init, output_init, seed=seed)  # seeds Python, NumPy, TensorFlow
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    model.compile(optimizer=opt, loss=loss_fn, metrics=["accuracy"])
    initial_loss, grad_norms, history, ratios = _fit(tf, model, opt, loss_fn, data, epochs,
                                                     batch_size, seed)
    return TrainingRun(history=history, initial_loss=initial_loss,
                       chance_loss=math.log(data.n_classes), grad_norms=grad_norms,
                       update_ratios=ratios, seconds=time.perf_counter() - start,
                       settings=settings, model=model)


def _fit(tf, model, opt, loss_fn, data, epochs, batch_size, seed):
    """The training loop, with the diagnostics taken before and during it."""
    x, y = tf.constant(data.x_train, tf.float32), tf.constant(data.y_train, tf.int64)
    x_test, y_test = tf.constant(data.x_test, tf.float32), tf.constant(data.y_test, tf.int64)
    weights = model.trainable_variables
    opt.build(weights)
    # A fixed signature: one trace each, although the last batch is smaller. Tracing is most of
    # a small run's time.
    signature = [tf.TensorSpec([None, data.n_features], tf.float32),
                 tf.TensorSpec([None], tf.int64)]

    @tf.function(input_signature=signature)
    def step(xb, yb):
        with tf.GradientTape() as tape:
            p = model(xb, training=True)
            loss = loss_fn(yb, p)
        opt.apply(tape.gradient(loss, weights), weights)
        return loss, _correct(tf, p, yb)

    @tf.function(input_signature=signature)
    def evaluate(xe, ye):
        p = model(xe, training=False)
        return loss_fn(ye, p), _correct(tf, p, ye) / tf.cast(tf.size(ye), tf.float32)

    initial_loss = float(evaluate(x, y)[0])
    grad_norms = _grad_norms(tf, model, loss_fn, x[:batch_size], y[:batch_size])
    history = {"loss": [], "accuracy": [], "val_loss": [], "val_accuracy": []}
    ratios, kernels = [], [k.numpy() for k in _kernels(model)]
    rng, n = np.random.default_rng(seed), len(data.y_train)
    for _ in range(epochs):
        order = rng.permutation(n)
        total_loss = total_correct = 0.0
        for i in range(0, n, batch_size):
            batch = order[i:i + batch_size]
            loss, correct = step(tf.gather(x, batch), tf.gather(y, batch))
            total_loss += float(loss) * len(batch)
            total_correct += float(correct)
        val_loss, val_accuracy = evaluate(x_test, y_test)
        history["loss"].append(total_loss / n)
        history["accuracy"].append(total_correct / n)
        history["val_loss"].append(float(val_loss))
        history["val_accuracy"].append(float(val_accuracy))
        new = [k.numpy() for k in _kernels(model)]
        ratios.append(_update_ratios(kernels, new))
        kernels = new
    return initial_loss, grad_norms, history, np.array(ratios)


def _correct(tf, p, y):
    """The number of rows of ``p`` whose argmax is the label ``y``, as float32."""
    hits = tf.equal(tf.argmax(p, axis=-1, output_type=y.dtype), y)
    return tf.reduce_sum(tf.cast(hits, tf.float32))


def _grad_norms(tf, model, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, _kernels(model))
    return np.array([float(tf.norm(g)) for g in grads])


def _learning_rate(opt):
    try:
        return float(opt.learning_rate)
    except (TypeError, ValueError):  # a schedule
        return opt.learning_rate


def bn_relu(z):
    """ReLU after standardizing each unit over the batch: batch normalization (Ioffe & Szegedy
    2015) without its learned scale and shift, ε = 1e-3 as in Keras. Pass it as the
    ``activation`` of :func:`train` to see what normalization does to a badly scaled init
    (chapter 7).

    >>> keras = import_keras()
    >>> import numpy as np
    >>> out = keras.ops.convert_to_numpy(bn_relu(np.array([[1.0], [3.0]], dtype="float32")))
    >>> [round(float(v), 2) for v in out.ravel()]      # (1, 3) -> (-1, 1) -> ReLU
    [0.0, 1.0]
    """
    import tensorflow as tf  # Keras' backend: loaded, and quiet, once import_keras has run

    import_keras()
    mean, var = tf.nn.moments(z, axes=[0], keepdims=True)
    return tf.nn.relu((z - mean) * tf.math.rsqrt(var + 1e-3))

r"""Small, seeded, quiet Keras training runs, to see what an initializer does to learning.

:func:`train` fits a dense classifier, ``depth`` hidden layers of ``width`` units and a softmax
output, and returns a :class:`TrainingRun` with the per-epoch history and the diagnostics of
Karpathy's "makemore part 3" lecture:

* ``initial_loss`` against ``chance_loss`` = ln(#classes): a sensible init starts near chance
  (the output is almost uniform), a bad one far above it;
* ``grad_norms``: each layer's kernel-gradient norm at step 0, first layer to last: vanishing or
  exploding gradients show up as a slope across layers;
* ``update_ratios``: the update:data ratio ``‖ΔW‖ / ‖W‖`` per layer and epoch.

Initializers are given as Keras names (``"he_normal"``), initlab names or objects (mapped to the
equivalent Keras initializer by :func:`keras_initializer`), or Keras initializer objects.

Runs are reproducible: the seed goes to ``keras.utils.set_random_seed`` (Python, NumPy and
TensorFlow) and TensorFlow's op determinism is enabled, so on CPU the same arguments give the
same history bit for bit. They are quiet: nothing is printed and TensorFlow's C++ log is
silenced. ``import initlab.training`` does not import TensorFlow; the first run does (a few
seconds, once).
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import numbers
import os
import time

import numpy as np

from . import initializers

__all__ = ["TrainingRun", "train", "build_model", "keras_initializer", "import_keras"]


def import_keras():
    """Import and return ``keras`` (TensorFlow backend) without TensorFlow's log noise.

    Sets ``TF_CPP_MIN_LOG_LEVEL=3`` (C++ messages such as the CPU-instruction and oneDNN notices)
    and ``KERAS_BACKEND=tensorflow`` unless they are already set, *before* TensorFlow is first
    imported (afterwards they have no effect), then lowers TensorFlow's Python and absl loggers
    to errors. Use it instead of ``import keras`` in chapters that need Keras directly.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
    try:
        from absl import logging as absl_logging
        absl_logging.set_verbosity(absl_logging.ERROR)
    except ImportError:  # absl comes with TensorFlow, but is not essential
        pass
    if keras.backend.backend() != "tensorflow":
        raise RuntimeError(f"initlab.training needs Keras' TensorFlow backend, but Keras runs on "
                           f"{keras.backend.backend()!r}; set KERAS_BACKEND=tensorflow before "
                           f"importing keras")
    return keras


# ---------------------------------------------------------------------------------------------
# Checking arguments: errors name what is valid.

def _int(name, value, low):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{name} must be an int >= {low}, got {value!r}")
    return int(value)


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not (
            math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    return float(value)


def _unknown(what, name, valid):
    close = difflib.get_close_matches(str(name).lower(), valid, n=1)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return f"unknown {what} {name!r}.{hint} Valid: {', '.join(valid)}."


def _public_names(module, keep):
    return sorted(n for n in dir(module) if not n.startswith("_") and keep(getattr(module, n)))


def _activation(keras, activation):
    if callable(activation):
        return activation
    valid = _public_names(keras.activations, callable)
    valid = [n for n in valid if n not in ("get", "serialize", "deserialize")]
    if not isinstance(activation, str) or activation.lower() not in valid:
        raise ValueError(_unknown("activation", activation, valid))
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
    if not isinstance(optimizer, str) or optimizer.lower() not in classes:
        raise ValueError(_unknown("optimizer", optimizer, sorted(classes)) +
                         " Or pass a keras.optimizers.Optimizer object.")
    return classes[optimizer.lower()](learning_rate=_positive("learning_rate", learning_rate))


# ---------------------------------------------------------------------------------------------
# Initializers: initlab -> Keras

def keras_initializer(init):
    """The Keras initializer for ``init``; a new object on every call.

    * an initlab name or object (see :func:`initlab.initializers.get`) maps to the equivalent
      Keras class with the same parameters: the variance-scaling presets (He, Glorot, LeCun,
      ``glorot_standard``) to ``keras.initializers.VarianceScaling(scale, mode, distribution)``,
      the historical heuristics (``numpy_rand``, ``uniform_pm03``, ``uniform_pm1``) to
      ``RandomUniform``, and ``zeros``/``ones``/``constant``, ``random_normal``,
      ``random_uniform``, ``truncated_normal``, ``orthogonal``, ``identity`` to their classes;
    * any other name Keras knows (e.g. ``"variance_scaling"``) is looked up by Keras;
    * a Keras initializer object is cloned from its config. An unseeded clone draws new values,
      but an int-seeded one draws the *same* values as the original: Keras' behaviour, and the
      reason one seeded object gives every equal-shaped layer the same kernel;
    * any other callable ``f(shape, dtype=None)`` is returned as is.

    The Keras objects are unseeded, so they draw from Keras' global seed
    (``keras.utils.set_random_seed``).
    """
    keras = import_keras()
    K = keras.initializers
    if isinstance(init, K.Initializer):
        return type(init).from_config(init.get_config())
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
    ini = initializers
    if type(init) is ini.Constant:
        return {0.0: K.Zeros(), 1.0: K.Ones()}.get(init.value) or K.Constant(init.value)
    if type(init) is ini.RandomNormal:
        return K.RandomNormal(init.mean, init.stddev)
    if type(init) is ini.RandomUniform:
        return K.RandomUniform(init.minval, init.maxval)
    if type(init) is ini.TruncatedNormal:
        return K.TruncatedNormal(init.mean, init.stddev)
    if type(init) is ini.VarianceScaling:
        return K.VarianceScaling(init.scale, init.mode, init.distribution)
    if type(init) is ini.Orthogonal:
        return K.Orthogonal(init.gain)
    if type(init) is ini.Identity:
        return K.Identity(init.gain)
    raise TypeError(f"no Keras equivalent is known for the initlab initializer {init!r} "
                    f"({type(init).__name__}); pass a Keras initializer or a callable instead")


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
    """
    keras = import_keras()
    n_features, n_classes = _int("n_features", n_features, 1), _int("n_classes", n_classes, 2)
    depth, width = _int("depth", depth, 0), _int("width", width, 1)
    activation = _activation(keras, activation)
    keras_initializer(init), keras_initializer(bias_init)  # fail early, with a clear message
    output_init = init if output_init is None else output_init
    keras_initializer(output_init)
    if seed is not None:
        keras.utils.set_random_seed(_int("seed", seed, 0))
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
      Karpathy tracks the per-step ratio, around 1e-3 when learning goes well; a per-epoch ratio
      sums many steps, so expect it larger.
    * ``seconds``: wall time of building, diagnosing and fitting (not TensorFlow's first import).
    * ``settings``: the arguments of the run; ``model``: the trained Keras model.
    """

    history: dict
    initial_loss: float
    chance_loss: float
    grad_norms: np.ndarray
    update_ratios: np.ndarray | None
    seconds: float
    settings: dict
    model: object = dataclasses.field(repr=False)

    @property
    def final_accuracy(self) -> float:
        """Test accuracy after the last epoch."""
        return self.history["val_accuracy"][-1]


def _kernels(model):
    return [layer.kernel for layer in model.layers]


def _grad_norms(tf, model, loss_fn, x, y):
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x, training=True))
    grads = tape.gradient(loss, _kernels(model))
    return np.array([float(tf.norm(g)) for g in grads])


def _update_ratio_callback(keras, ratios):
    class UpdateRatios(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            self.previous = [np.array(k) for k in _kernels(self.model)]

        def on_epoch_end(self, epoch, logs=None):
            current = [np.array(k) for k in _kernels(self.model)]
            row = []
            for old, new in zip(self.previous, current):
                size = np.linalg.norm(old.astype(np.float64))
                change = np.linalg.norm(new.astype(np.float64) - old)
                row.append(change / size if size > 0 else math.nan)
            ratios.append(row)
            self.previous = current

    return UpdateRatios()


def train(data="digits", init="he_normal", activation="relu", depth: int = 1, width: int = 128,
          epochs: int = 5, optimizer="adam", learning_rate: float = 1e-3, batch_size: int = 64,
          seed: int = 0, bias_init="zeros", output_init=None, track_updates: bool = True
          ) -> TrainingRun:
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
    * ``epochs``, ``batch_size``: as in ``model.fit``; the data are shuffled every epoch.
    * ``seed``: fixes the weights, the shuffling and hence the whole history (see the module
      docstring).
    * ``track_updates``: compute ``update_ratios`` (a copy of the kernels per epoch).

    Runs are float32 and quiet; a 1-hidden-layer net takes about a second for 5 epochs of digits.
    """
    from .data import Dataset, load

    if isinstance(data, str):
        data = load(data)
    if not isinstance(data, Dataset):
        raise TypeError(f"data must be an initlab.data.Dataset or a data set name, "
                        f"got {type(data).__name__}")
    epochs, batch_size = _int("epochs", epochs, 1), _int("batch_size", batch_size, 1)
    seed = _int("seed", seed, 0)
    keras = import_keras()
    import tensorflow as tf

    opt = _optimizer(keras, optimizer, learning_rate)
    settings = dict(data=data.name, init=init, activation=activation, depth=depth, width=width,
                    epochs=epochs, optimizer=optimizer, learning_rate=_learning_rate(opt),
                    batch_size=batch_size, seed=seed, bias_init=bias_init,
                    output_init=output_init)

    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()
    start = time.perf_counter()
    model = build_model(data.n_features, data.n_classes, init, activation, depth, width,
                        bias_init, output_init)
    model.compile(optimizer=opt, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    initial_loss = float(loss_fn(data.y_train, model(data.x_train, training=False)))
    grad_norms = _grad_norms(tf, model, loss_fn, data.x_train[:batch_size],
                             data.y_train[:batch_size])
    ratios = []
    callbacks = [_update_ratio_callback(keras, ratios)] if track_updates else []
    fit = model.fit(data.x_train, data.y_train, batch_size=batch_size, epochs=epochs,
                    validation_data=(data.x_test, data.y_test), shuffle=True, verbose=0,
                    callbacks=callbacks)
    seconds = time.perf_counter() - start
    history = {key: [float(v) for v in fit.history[key]]
               for key in ("loss", "accuracy", "val_loss", "val_accuracy")}
    return TrainingRun(history=history, initial_loss=initial_loss,
                       chance_loss=math.log(data.n_classes), grad_norms=grad_norms,
                       update_ratios=np.array(ratios) if track_updates else None,
                       seconds=seconds, settings=settings, model=model)


def _learning_rate(opt):
    try:
        return float(opt.learning_rate)
    except (TypeError, ValueError):  # a schedule
        return opt.learning_rate

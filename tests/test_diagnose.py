"""initlab.diagnose: it flags the course's broken networks, passes the fixed ones, agrees with
propagation.simulate, works on Dense, Conv, LSTM/GRU, attention and embedding layers, never
changes the model, and refuses bad input with a clear error.

Every model is built from fixed seeds and every threshold is crossed by orders of magnitude (a
saturated share of 85 % against a limit of 20 %, a drift of 1e-10 against 1e-2), so the
assertions hold for any seed; the agreement with simulate is exact up to float32 rounding.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from initlab import data, propagation
from initlab.diagnose import THRESHOLDS, Diagnosis, diagnose
from initlab.training import import_keras

keras = import_keras()
LN10 = math.log(10)


@pytest.fixture(scope="module")
def digits():
    """256 standardized digits and their labels (standardized: E[x²] = 1, as the text assumes)."""
    d = data.load("digits")
    mean, std = d.x_train.mean(axis=0), d.x_train.std(axis=0) + 1e-6
    return ((d.x_train[:256] - mean) / std).astype("float32"), d.y_train[:256], d


def mlp(activation, init, depth=10, width=128, n_in=64, output_init="zeros", seed=0):
    keras.utils.set_random_seed(seed)
    hidden = [keras.layers.Dense(width, activation=activation, kernel_initializer=init,
                                 name=f"hidden_{i + 1}") for i in range(depth)]
    return keras.Sequential([keras.Input((n_in,)), *hidden,
                             keras.layers.Dense(10, activation="softmax", name="output",
                                                kernel_initializer=output_init)])


def mentions(result: Diagnosis, *words) -> bool:
    return any(all(w in p for w in words) for p in result.problems)


# ---------------------------------------------------------------------------------------------
# Broken networks are flagged, fixed ones pass

def test_flags_deep_tanh_with_unit_normal_weights(digits):
    x, y, _ = digits
    result = diagnose(mlp("tanh", keras.initializers.RandomNormal(stddev=1.0)), x, y)
    assert not result.ok
    assert mentions(result, "hidden_", "tanh outputs saturated", "glorot_uniform")
    assert all(r.saturated > 0.5 for r in result.layers[1:-1])
    assert mentions(result, "weights have std", "the 1/√fan_in scale")


def test_flags_deep_relu_with_small_weights(digits):
    x, y, _ = digits
    model = mlp("relu", keras.initializers.RandomNormal(stddev=0.01), output_init="glorot_uniform")
    result = diagnose(model, x, y)           # (a zero output layer would stop every gradient)
    assert not result.ok
    assert mentions(result, "the forward signal has shrunk", "he_normal")
    assert mentions(result, "gradients vanish")
    stds = [r.forward_std for r in result.layers[:-1]]
    assert stds[-1] < 1e-6 * stds[0]                     # ≈ 0.08 per layer over 9 layers


def test_flags_a_classifier_whose_initial_loss_is_far_above_ln_c(digits):
    x, y, _ = digits
    model = mlp("relu", "he_normal", depth=2,
                output_init=keras.initializers.RandomNormal(stddev=1.0))
    result = diagnose(model, x, y)
    assert result.expected_loss == pytest.approx(LN10)
    assert result.initial_loss > LN10 + THRESHOLDS["loss_excess"] * LN10
    assert mentions(result, "output", "initial loss", "ln 10", "zeros")


@pytest.mark.parametrize("activation, init", [("relu", "he_normal"), ("selu", "lecun_normal"),
                                              ("tanh", "glorot_uniform")])
def test_passes_the_recommended_initializers(digits, activation, init):
    x, y, _ = digits
    for output_init in ("zeros", "glorot_uniform"):
        result = diagnose(mlp(activation, init, output_init=output_init), x, y)
        assert result.ok, result.report()
        assert result.initial_loss < LN10 + THRESHOLDS["loss_excess"] * LN10
    assert result.layers[-1].gain == pytest.approx(math.sqrt(2 * 128 / 138), rel=0.05)


def test_zero_output_layer_starts_at_ln_c_exactly(digits):
    x, y, _ = digits
    result = diagnose(mlp("relu", "he_normal", depth=3), x, y)
    assert result.initial_loss == pytest.approx(LN10, abs=1e-5)
    assert result.layers[-1].forward_std == 0 and result.ok


def test_flags_uncentred_raw_pixels_and_dead_units(digits):
    _, y, d = digits
    raw = (d.x_train[:256] * 16).astype("float32")              # pixel values 0..16
    result = diagnose(mlp("relu", "he_normal", depth=3), raw, y)
    assert mentions(result, "input", "standardize")
    unit = diagnose(mlp("relu", "he_normal", depth=3), d.x_train[:256], y)   # [0, 1]: E[x²] ≈ 0.24
    assert not mentions(unit, "√E[x²]")                      # the scale is within the band …
    assert mentions(unit, "input", "not centred")            # … but the mean is not removed
    x = d.x_train[:256]
    share = np.sum(x.mean(axis=0) ** 2) / np.mean(np.sum(x ** 2, axis=1))
    assert share > THRESHOLDS["input_mean_share"]
    centred = (x - x.mean(axis=0)).astype("float32") / x.std()   # centred, one overall scale
    assert not mentions(diagnose(mlp("relu", "he_normal", depth=3), centred, y), "input")


def test_imbalanced_labels_want_a_log_prior_bias():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2000, 16)).astype("float32")
    y = (rng.random(2000) < 0.02).astype("int64")
    pi = y.mean()

    def build(bias):
        keras.utils.set_random_seed(0)
        return keras.Sequential([keras.Input((16,)),
                                 keras.layers.Dense(32, activation="relu", kernel_initializer="he_normal"),
                                 keras.layers.Dense(1, activation="sigmoid", kernel_initializer="zeros",
                                                    bias_initializer=keras.initializers.Constant(bias))])
    plain = diagnose(build(0.0), x, y)
    assert plain.initial_loss == pytest.approx(math.log(2), abs=1e-5)
    assert mentions(plain, "imbalanced", "log(π/(1 − π))")
    prior = diagnose(build(math.log(pi / (1 - pi))), x, y)
    entropy = -(pi * math.log(pi) + (1 - pi) * math.log(1 - pi))
    assert prior.initial_loss == pytest.approx(entropy, rel=1e-3) and prior.ok, prior.report()


def test_constant_hidden_layer_is_flagged_but_a_zero_residual_branch_end_is_not():
    x = np.random.default_rng(1).standard_normal((128, 32)).astype("float32")
    inp = keras.Input((32,))
    h = keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal", name="branch_in")(inp)
    b = keras.layers.Dense(32, kernel_initializer="zeros", name="branch_out")(h)
    s = keras.layers.Add(name="add")([inp, b])
    out = keras.layers.Dense(10, activation="softmax", kernel_initializer="zeros", name="out")(s)
    assert diagnose(keras.Model(inp, out), x, np.arange(128) % 10).ok
    zero = keras.Sequential([keras.Input((32,)),
                             keras.layers.Dense(64, activation="tanh", kernel_initializer="zeros", name="flat"),
                             keras.layers.Dense(10, activation="softmax")])
    assert mentions(diagnose(zero, x, np.arange(128) % 10), "flat", "symmetry")


def test_residual_stream_growth_is_flagged_with_the_residual_fix():
    x = np.random.default_rng(2).standard_normal((128, 64)).astype("float32")
    h = inp = keras.Input((64,))
    keras.utils.set_random_seed(0)
    for i in range(20):
        f = keras.layers.Dense(64, activation="relu", kernel_initializer="he_normal")(h)
        f = keras.layers.Dense(64, kernel_initializer="he_normal")(f)
        h = keras.layers.Add(name=f"add_{i}")([h, f])
    result = diagnose(keras.Model(inp, h), x)
    assert mentions(result, "has grown", "1/√(number of blocks)")


# ---------------------------------------------------------------------------------------------
# The numbers are simulate's

@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "selu"])
def test_numbers_agree_with_simulate_on_an_equivalent_mlp(activation):
    widths = [64, 128, 128, 96, 32]
    weights = propagation.sample_weights(widths, "he_normal" if activation == "relu" else "glorot_normal", seed=1)
    model = keras.Sequential([keras.Input((64,))] + [keras.layers.Dense(n, activation=activation, use_bias=False)
                                                     for n in widths[1:]])
    for layer, w in zip(model.layers, weights):
        layer.set_weights([w])
    x = np.random.default_rng(5).standard_normal((200, 64)).astype("float32")
    sim = propagation.simulate(widths=widths, activation=activation, weights=weights, x=x, seed=3)
    result = diagnose(model, x, seed=3)                # the same g_L ~ N(0, 1) as simulate's
    np.testing.assert_allclose([r.forward_std for r in result.layers], sim.pre_std, rtol=1e-5)
    np.testing.assert_allclose([r.backward_std for r in result.layers], sim.grad_std, rtol=1e-5)
    if activation in ("tanh", "sigmoid"):
        np.testing.assert_allclose([r.saturated for r in result.layers], sim.saturation, atol=1e-9)
    if activation == "relu":
        np.testing.assert_allclose([r.dead for r in result.layers], sim.dead, atol=1e-9)
    assert [r.fan_in for r in result.layers] == widths[:-1]
    assert all(r.measured == "z" for r in result.layers)


# ---------------------------------------------------------------------------------------------
# Other layers

def test_conv_lstm_gru_attention_and_embedding_layers():
    rng = np.random.default_rng(0)
    image = keras.Sequential([keras.Input((12, 12, 3)), keras.layers.Conv2D(8, 3, activation="relu", name="conv"),
                              keras.layers.Flatten(), keras.layers.Dense(10, activation="softmax")])
    r = diagnose(image, rng.standard_normal((64, 12, 12, 3)).astype("float32"), np.arange(64) % 10)
    conv = r.layers[0]
    assert (conv.kind, conv.fan_in, conv.fan_out, conv.initializer) == ("Conv2D", 27, 72, "glorot_uniform")
    assert conv.dead is not None and conv.measured == "z"

    seq = keras.Sequential([keras.Input((20, 5)), keras.layers.LSTM(16, return_sequences=True, name="lstm"),
                            keras.layers.GRU(8, name="gru"), keras.layers.Dense(3, activation="softmax")])
    r = diagnose(seq, rng.standard_normal((32, 20, 5)).astype("float32"), np.arange(32) % 3)
    lstm, gru = r.layers[0], r.layers[1]
    assert (lstm.fan_in, lstm.fan_out, lstm.initializer) == (5, 64, "glorot_uniform + orthogonal")
    assert gru.fan_out == 24 and lstm.measured == "output" and lstm.backward_std > 0

    tokens = keras.Input((10,), dtype="int32")
    e = keras.layers.Embedding(50, 32, name="embed")(tokens)
    a = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8, name="attention")(e, e)
    h = keras.layers.LayerNormalization(name="norm")(keras.layers.Add()([e, a]))
    out = keras.layers.Dense(50, name="logits")(keras.layers.GlobalAveragePooling1D()(h))
    r = diagnose(keras.Model(tokens, out), rng.integers(0, 50, (16, 10)), rng.integers(0, 50, 16))
    by = {row.name: row for row in r.layers}
    assert (by["attention"].fan_in, by["attention"].fan_out) == (32, 32)
    assert by["embed"].initializer == "random_uniform(-0.05, 0.05)" and by["embed"].fan_in is None
    assert by["norm"].forward_std > 10 * by["embed"].forward_std      # normalized, up to its ε
    assert r.expected_loss == pytest.approx(math.log(50))          # logits, integer labels


# ---------------------------------------------------------------------------------------------
# The model is left alone

def test_never_changes_the_model():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((16,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.BatchNormalization(), keras.layers.Dropout(0.5),
                              keras.layers.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((64, 16)).astype("float32") * 3 + 1
    before = [v.numpy().copy() for v in model.variables]
    out_before = model(x, training=False).numpy()
    n_layers, name = len(model.layers), model.name
    result = diagnose(model, x, np.arange(64) % 4)
    assert all(np.array_equal(a, v.numpy()) for a, v in zip(before, model.variables))
    assert np.array_equal(out_before, model(x, training=False).numpy())
    assert len(model.layers) == n_layers and model.name == name
    assert result.layers[1].kind == "BatchNormalization"
    assert result.layers[1].forward_std == pytest.approx(1.0, abs=0.05)   # batch statistics


# ---------------------------------------------------------------------------------------------
# Bad input

def test_clear_errors():
    unbuilt = keras.Sequential([keras.layers.Dense(4)])
    with pytest.raises(ValueError, match="never built.*keras.Input"):
        diagnose(unbuilt, np.zeros((8, 3), "float32"))
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(3, activation="softmax")])
    with pytest.raises(ValueError, match=r"shape \(8, 5\).*expects \(batch, 6\)"):
        diagnose(model, np.zeros((8, 5), "float32"))
    with pytest.raises(TypeError, match="keras.Model"):
        diagnose("model", np.zeros((8, 6)))
    with pytest.raises(TypeError, match="numpy array"):
        diagnose(model, [[0.0] * 6] * 8)
    with pytest.raises(ValueError, match="labels must lie in 0..2"):
        diagnose(model, np.zeros((8, 6), "float32"), np.arange(8))
    with pytest.raises(ValueError, match="one label per example"):
        diagnose(model, np.zeros((8, 6), "float32"), np.zeros(7, int))
    with pytest.raises(ValueError, match="at least 2"):
        diagnose(model, np.zeros((1, 6), "float32"))

    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = keras.layers.Dense(2)

        def call(self, x):
            return self.dense(x)

    custom = Custom()
    custom(np.zeros((2, 3), "float32"))
    with pytest.raises(ValueError, match="subclassed"):
        diagnose(custom, np.zeros((4, 3), "float32"))


def test_report_and_html_show_every_layer_and_problem(digits):
    x, y, _ = digits
    result = diagnose(mlp("tanh", keras.initializers.RandomNormal(stddev=1.0), depth=3), x, y)
    text, page = str(result), result._repr_html_()
    assert text.startswith("✘") and "forward std" in text and "saturated %" in text
    for row in result.layers:
        assert row.name in text and row.name in page
    for problem in result.problems:
        assert problem in text
    assert "<table>" in page and "<li>" in page
    rows = result.rows()
    assert rows[0]["name"] == "hidden_1" and rows[0]["gain"] == pytest.approx(result.layers[0].gain)
    assert "feeds_add" not in rows[0]

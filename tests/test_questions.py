"""Predict-then-check questions (``initlab.questions``), their directive and their page judge.

* Every question accepts its answer, gives each known mistake its own message and refuses bad input
  with a message naming what is valid; the tolerance windows of the answer and the mistakes do not
  overlap, so every message is reachable.
* Every answer is the chapter's: it is compared with the chapter's own computation.
* Every chapter 1-8 asks at least one question, each followed by the notebook's check cell.
* The page's judge (``static/initlab/question.js``, run in Node) gives the same verdicts, in the
  same words, on the same inputs.
* The ``{initlab-question}`` directive refuses an unknown id at build time, naming the valid ones.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys

import jupytext
import numpy as np
import pytest
from test_engine_parity import NODE, _require_node

from initlab import beyond, initializers, modern, propagation, questions
from initlab.questions import QUESTIONS, check, judge, parse_number, spec

from _book import ROOT, notebooks

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import initlab_question as ext
import learner_notebooks as ln

NUMBER_IDS = [q for q in QUESTIONS if QUESTIONS[q].kind == "number"]
CHOICE_IDS = [q for q in QUESTIONS if QUESTIONS[q].kind == "choice"]
BAD = ["", "   ", "abc", "0,5", "1/0", "1e400", "2^2000", "-8^0.5", "(-8)^(1/3)", "1/6/2", "3 4", "0x10"]


# ---------------------------------------------------------------------------------------------
# The judge, question by question

@pytest.mark.parametrize("qid", NUMBER_IDS)
def test_a_number_question_accepts_its_answer_and_names_each_mistake(qid):
    q = QUESTIONS[qid]
    assert check(qid, q.answer).passed
    assert check(qid, repr(q.answer)).passed                      # typed as text
    assert check(qid, np.float32(q.answer)).passed                # a numpy number
    for edge in (1 - 0.99 * q.rtol, 1 + 0.99 * q.rtol):
        assert check(qid, q.answer * edge).passed
    for edge in (1 - 1.01 * q.rtol, 1 + 1.01 * q.rtol):
        assert not check(qid, q.answer * edge).passed
    assert check(qid, q.answer).message == "right: " + q.explanation
    assert q.mistakes, f"{qid} names no common mistake"
    for value, message in q.mistakes:
        got = check(qid, value)
        assert not got.passed and got.message == message, (qid, value, got)
    far = check(qid, abs(q.answer) * 1e6 + 1e6)
    assert not far.passed and far.message == "too large: " + q.hint


@pytest.mark.parametrize("qid", NUMBER_IDS)
def test_answer_and_mistake_windows_do_not_overlap(qid):
    q = QUESTIONS[qid]
    values = [q.answer] + [v for v, _ in q.mistakes]
    for i, a in enumerate(values):
        for b in values[i + 1:]:
            assert abs(a - b) > q.rtol * (abs(a) + abs(b)), (qid, a, b)


@pytest.mark.parametrize("qid", CHOICE_IDS)
def test_a_choice_question_accepts_its_option_by_name_or_number(qid):
    q = QUESTIONS[qid]
    keys = [k for k, _, _ in q.options]
    assert q.answer in keys
    for number, (key, _, message) in enumerate(q.options, 1):
        by_key, by_number, by_text = check(qid, key), check(qid, number), check(qid, str(number))
        assert by_key.passed == by_number.passed == by_text.passed == (key == q.answer)
        assert by_key.message == by_number.message == (("right: " if key == q.answer else "") + message)
    for bad in ("", "lecun", 0, len(keys) + 1, True, 2.0, ["lecun_normal"]):
        got = check(qid, bad)
        assert not got.passed and got.message.startswith("choose one of the options by its name or number (1 = ")


@pytest.mark.parametrize("qid", NUMBER_IDS)
@pytest.mark.parametrize("bad", BAD + [float("nan"), float("inf"), [1.0], {"a": 1}, True])
def test_bad_input_gets_a_message_naming_what_is_valid(qid, bad):
    got = check(qid, bad)
    assert not got.passed
    assert questions.EXAMPLES in got.message or got.message.startswith(("write 0.5", "answer with one number"))


@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_without_an_answer_the_check_shows_the_question(qid):
    got = check(qid)
    assert not got.passed and QUESTIONS[qid].prompt in got.message and "Replace None" in got.message


def test_an_unknown_question_is_a_value_error_naming_the_valid_ones():
    with pytest.raises(ValueError, match="unknown question 'ch0'; valid: ch1-vanishing-std, ch2-"):
        check("ch0", 1)


@pytest.mark.parametrize("text, value", [
    ("0.25", 0.25), ("3e-7", 3e-7), (" 1/6 ", 1 / 6), ("2^25", 2.0**25), ("2 ** 25", 2.0**25),
    ("3.4×10^7", 3.4e7), ("3.4 x 10^-7", 3.4e-7), ("3.4*10**7", 3.4e7), ("\u22120.5", -0.5), ("+.5", 0.5),
    ("1.", 1.0), ("1/sqrt(2)", 1 / math.sqrt(2)), ("1/√2", 1 / math.sqrt(2)), ("√0.5", math.sqrt(0.5)),
    ("sqrt( 0.5 )", math.sqrt(0.5)), ("√(2)/2", math.sqrt(2) / 2), ("4%", 0.04), ("4.2 %", 0.042),
    ("2^-0.5", 2**-0.5),
])
def test_parse_number_reads_what_a_reader_types(text, value):
    assert parse_number(text) == (value, None)


def test_a_number_spelled_with_other_digits_is_not_a_number():
    assert parse_number("\u0661")[0] is None                     # an Arabic-Indic 1: the page refuses it too


# ---------------------------------------------------------------------------------------------
# Every answer is the chapter's

def _source(chapter: int) -> str:
    return next((ROOT / "book").glob(f"{chapter:02d}-*.md")).read_text(encoding="utf-8")


def test_ch1_answer_is_the_chapters_simulation():
    assert "n, sigma, depth = 500, 0.01, 10" in _source(1)
    sim = propagation.simulate(depth=10, width=500, activation="tanh",
                               init=initializers.random_normal(stddev=0.01), seed=0)
    q = QUESTIONS["ch1-vanishing-std"]
    assert abs(sim.act_std[-1] / q.answer - 1) < q.rtol


def test_ch2_answer_is_the_chapters_product():
    text = _source(2)
    assert "for factor in (0.9, 1.0, 1.1):" in text and "factor ** 30" in text
    assert QUESTIONS["ch2-variance-after-30"].answer == 0.9**30


def test_ch2_relu_answer_is_the_chapters_monte_carlo():
    assert "g = np.random.default_rng(3).standard_normal(1_000_000)" in _source(2)
    g = np.random.default_rng(3).standard_normal(1_000_000)       # the chapter's cell
    f = propagation.activate("relu", g)
    q = QUESTIONS["ch2-relu-second-moment"]
    assert abs(np.mean(f**2) / q.answer - 1) < q.rtol / 10
    variance = next(v for v, m in q.mistakes if m.startswith("that is the variance"))
    assert abs(f.var() / variance - 1) < q.rtol / 10


def test_ch3_answer_is_the_chapters_monte_carlo():
    assert "W = glorot((784, 256), seed=rng" in _source(3)
    rng = np.random.default_rng(0)                                # the chapter's cell
    W = initializers.get("glorot_uniform")((784, 256), seed=rng, dtype="float64")
    x = rng.standard_normal((2000, 784))
    q = QUESTIONS["ch3-glorot-forward-factor"]
    assert abs(float((x @ W).var()) / q.answer - 1) < q.rtol
    assert q.answer == pytest.approx(2 * 784 / (784 + 256), rel=1e-12)


def test_ch4_answer_is_the_variance_recursion():
    p = propagation.predict_variance(activation="relu", init="glorot_normal", depth=6, width=256)
    q = QUESTIONS["ch4-glorot-relu-factor"]
    np.testing.assert_allclose(p.pre_std[1:] / p.pre_std[:-1], q.answer, rtol=1e-9)
    sim = propagation.simulate(activation="relu", init="glorot_normal", depth=10, width=256, seed=0)
    per_layer = (sim.pre_std[-1] / sim.pre_std[1]) ** (1 / 8)
    assert abs(per_layer / q.answer - 1) < q.rtol


def test_ch5_answer_is_the_only_initializer_with_unit_tau():
    q = QUESTIONS["ch5-selu-initializer"]
    for key, _, _ in q.options:
        W = initializers.get(key)((512, 256), seed=0, dtype="float64")
        tau = (W**2).sum(axis=0).mean()                           # E[Σ w²] over 256 units
        assert (abs(tau - 1) < 0.02) == (key == q.answer), (key, tau)
    assert "selu" in _source(5) and "lecun_normal" in _source(5)


def test_ch6_answer_is_the_chapters_pytorch_formula():
    assert "def torch_linear_bound(fan_in, a=math.sqrt(5)):" in _source(6)
    fan_in, a = 784, math.sqrt(5)                                 # the chapter's formula
    bound = math.sqrt(3) * math.sqrt(2 / (1 + a**2)) / math.sqrt(fan_in)
    assert QUESTIONS["ch6-pytorch-over-he"].answer == pytest.approx((bound**2 / 3) / (2 / fan_in), rel=1e-12)


def test_ch6_writes_the_uniform_bound_as_limit():
    """L is the depth (and ℒ the loss): the uniform's bound is written "limit" in every message."""
    q = QUESTIONS["ch6-pytorch-over-he"]
    texts = [q.explanation, q.hint] + [message for _, message in q.mistakes]
    assert all("L)" not in t and "L²" not in t and "±L" not in t for t in texts), texts
    assert "limit²/3" in q.explanation and "limit²/3" in q.hint
    assert "limit²/3, not limit²" in check("ch6-pytorch-over-he", 3 * q.answer).message


def test_ch7_answer_is_the_chapters_residual_stream():
    assert "L = 50" in _source(7) and '"residual, he_normal branches": residual()' in _source(7)
    q = QUESTIONS["ch7-residual-std-50"]
    simulated = beyond.residual_stds()[-1]                        # the chapter's run, 50 blocks
    assert abs(simulated / q.answer - 1) < q.rtol


def test_ch8_answer_is_the_measured_logit_std():
    q = QUESTIONS["ch8-attention-logit-std"]
    assert abs(modern.attention_softmax(64, scaled=False)["logit_std"] / q.answer - 1) < q.rtol


# ---------------------------------------------------------------------------------------------
# The chapters ask them

ASKED = re.compile(r"```\{initlab-question\} (?P<id>\S+)\n```\n\n```\{code-cell\} ipython3\n"
                   r":tags: \[remove-cell\]\n\n(?P<code>(?:.*\n)*?)```")


def test_every_chapter_asks_a_question_and_the_notebook_can_answer_it():
    asked = {}
    for doc in notebooks():
        text = (ROOT / f"{doc}.md").read_text(encoding="utf-8")
        found = list(ASKED.finditer(text))
        assert len(found) == text.count("{initlab-question}"), f"{doc}: a question without its check cell"
        for m in found:
            assert f'questions.check("{m["id"]}", answer=None)' in m["code"], (doc, m["id"])
            assert m["id"] not in asked, f"{m['id']} is asked twice"
            asked[m["id"]] = doc
    chapters = [doc for doc in notebooks() if re.match(r"book/0[1-8]-", doc)]
    assert len(chapters) == 8
    for doc in chapters:
        number = int(doc.split("/")[1][:2])
        assert any(QUESTIONS[q].chapter == number and d == doc for q, d in asked.items()), f"{doc} asks nothing"
    assert set(asked) == set(QUESTIONS), "every question is asked in its chapter"
    for qid, doc in asked.items():
        assert doc.startswith(f"book/{QUESTIONS[qid].chapter:02d}-")


def test_the_cell_right_after_a_question_folds_its_output():
    """A prediction comes before its answer: when a code cell follows a question's check cell with
    no text between, it computes the answer, so the page folds its output until the reader asks."""
    for doc in notebooks():
        cells = jupytext.read(ROOT / f"{doc}.md").cells
        for i, cell in enumerate(cells[:-1]):
            if cell.cell_type != "code" or "questions.check(" not in cell.source:
                continue
            after = cells[i + 1]
            if after.cell_type == "code":
                assert "hide-output" in after.metadata.get("tags", []), (doc, after.source.splitlines()[0])


# ---------------------------------------------------------------------------------------------
# The page's judge

def _inputs(q):
    if q.kind == "choice":
        return [k for k, _, _ in q.options] + list(range(0, len(q.options) + 2)) + ["2", " 3 ", "x", ""]
    a = q.answer
    inputs = [a, -a, 0.0, repr(a), f"{a:.2g}", f"{a:.1e}"]
    inputs += [a * f for f in (0.5, 1 - 1.01 * q.rtol, 1 - 0.99 * q.rtol, 1 + 0.99 * q.rtol, 1 + 1.01 * q.rtol, 2)]
    inputs += [v for v, _ in q.mistakes] + [repr(v) for v, _ in q.mistakes]
    return inputs + BAD + ["1/6", "2^25", "3.4×10^7", "\u22121e-3", "1/sqrt(2)", "1/√2", "√0.5", "sqrt(0.5)",
                           "4%", "4.2%", "√-4", "sqrt(-1)", "%", "4%%", "√", "sqrt()", "1/√0", "70.7%"]


def test_the_page_judges_every_question_as_python_does():
    _require_node()
    cases = [(qid, answer) for qid, q in QUESTIONS.items() for answer in _inputs(q)]
    payload = json.dumps([{"spec": spec(qid), "answer": answer} for qid, answer in cases])
    done = subprocess.run([NODE, str(ROOT / "tests" / "js" / "question_cli.mjs")], input=payload,
                          capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    for (qid, answer), js in zip(cases, json.loads(done.stdout), strict=True):
        passed, message = judge(spec(qid), answer)
        assert js == {"passed": passed, "message": message}, (qid, answer)


def test_the_spec_survives_json_exactly():
    for qid in QUESTIONS:
        assert json.loads(json.dumps(spec(qid))) == spec(qid)


# ---------------------------------------------------------------------------------------------
# The directive and the plain notebooks

def test_the_directive_refuses_an_unknown_id_naming_the_valid_ones():
    assert ext.question_id(" ch1-vanishing-std ") == "ch1-vanishing-std"
    with pytest.raises(ValueError, match="unknown question 'ch1'; valid: ch1-vanishing-std, ch2-variance"):
        ext.question_id("ch1")


def test_an_unknown_id_fails_a_sphinx_build(tmp_path):
    from sphinx.application import Sphinx

    (tmp_path / "conf.py").write_text("extensions = ['initlab_question']\n", encoding="utf-8")
    (tmp_path / "index.rst").write_text("Title\n=====\n\n.. initlab-question:: ch1-vanish\n\n"
                                        ".. initlab-question:: ch8-attention-logit-std\n", encoding="utf-8")
    warnings = tmp_path / "warnings.txt"
    with warnings.open("w") as stream:
        app = Sphinx(tmp_path, tmp_path, tmp_path / "out", tmp_path / "doctrees", "html",
                     status=None, warning=stream, freshenv=True)
        app.build()
    text = warnings.read_text(encoding="utf-8")
    assert "initlab-question: unknown question 'ch1-vanish'; valid: ch1-vanishing-std" in text
    page = (tmp_path / "out" / "index.html").read_text(encoding="utf-8")
    assert page.count('class="initlab-question"') == 1 and 'id="ch8-attention-logit-std"' in page


@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_the_page_without_javascript_shows_the_prompt_and_a_collapsed_answer(qid):
    page = ext.question_html(spec(qid))
    data = re.search(r'data-spec="([^"]*)"', page).group(1)
    import html

    assert json.loads(html.unescape(data)) == spec(qid)
    assert html.escape(QUESTIONS[qid].prompt) in page
    details = re.search(r"<details class=\"ilq-answer\"><summary>Show the answer</summary><p>(.*?)</p></details>",
                        page)
    assert details and "open" not in page.split("<details")[1].split(">")[0]
    if QUESTIONS[qid].kind == "choice":
        assert page.count("<li>") == len(QUESTIONS[qid].options)


@pytest.mark.parametrize("qid", list(QUESTIONS))
def test_a_plain_notebook_reads_the_question_and_hides_the_answer(qid):
    text = ln.plain_markdown(f"```{{initlab-question}} {qid}\n```", {})
    assert text.startswith("> **Predict, then check**") and QUESTIONS[qid].prompt in text
    assert "<details>\n<summary>Show the answer</summary>" in text
    assert ext.answer_text(spec(qid)) in text.split("<details>")[1]

r"""The ``initlab-question`` directive: a predict-then-check question the reader answers in the page.

In a chapter, where the reader has just been given what the prediction needs::

    ```{initlab-question} ch1-vanishing-std
    ```

The argument names a question of :mod:`initlab.questions`, the one definition of its prompt, answer
and targeted messages; an unknown name fails the build with the list of valid ones. The page gets a
``div.initlab-question`` with the question's spec as JSON, the prompt (and the options of a
choice) and the answer in a collapsed ``<details>``: that is what a reader without JavaScript sees,
and what the PDF prints (its dropdowns are opened). ``static/initlab/question.js``, loaded with the
engine on every page, adds an input, a Check button and a live region for the verdict, judged with
the same rules and words as ``questions.check`` in a notebook.
"""

from __future__ import annotations

import html
import json

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from initlab import questions


class question_node(nodes.General, nodes.Element):
    """One question; its ``spec`` is :func:`initlab.questions.spec`."""


def question_id(text: str) -> str:
    """The directive's argument, checked: a known question id, else a ValueError naming them."""
    text = text.strip()
    if text not in questions.QUESTIONS:
        raise ValueError(f"unknown question {text!r}; valid: {', '.join(questions.QUESTIONS)}")
    return text


class QuestionDirective(SphinxDirective):
    required_arguments = 1
    has_content = False

    def run(self):
        try:
            qid = question_id(self.arguments[0])
        except ValueError as exc:
            raise self.error(f"initlab-question: {exc}") from None
        seen = self.env.temp_data.setdefault("initlab_questions", set())
        if qid in seen:
            raise self.error(f"initlab-question: {qid!r} is asked twice on this page")
        seen.add(qid)
        self.env.note_dependency(questions.__file__)   # a changed question rebuilds its page
        node = question_node()
        node["ids"] = [qid]
        node["spec"] = questions.spec(qid)
        return [node]


def answer_text(spec: dict) -> str:
    """The answer as a sentence, for the collapsed ``<details>`` and the plain notebooks."""
    if spec["kind"] == "choice":
        option = next(o for o in spec["options"] if o["key"] == spec["answer"])
        return f"{option['label']}: {option['message']}"
    explanation = spec["explanation"]
    return explanation[:1].upper() + explanation[1:]


def question_html(spec: dict) -> str:
    """The question's HTML, before the script adds its form."""
    config = html.escape(json.dumps(spec, ensure_ascii=False), quote=True)
    options = ""
    if spec["kind"] == "choice":
        options = ('<ol class="ilq-static-options">'
                   + "".join(f"<li>{html.escape(o['label'])}</li>" for o in spec["options"]) + "</ol>")
    return (f'<div class="initlab-question" id="{spec["id"]}" data-spec="{config}">'
            '<p class="ilq-title">Predict, then check</p>'
            f'<p class="ilq-prompt">{html.escape(spec["prompt"])}</p>{options}'
            '<details class="ilq-answer"><summary>Show the answer</summary>'
            f'<p>{html.escape(answer_text(spec))}</p></details></div>')


def visit_question_html(self, node):
    self.body.append(question_html(node["spec"]))
    raise nodes.SkipNode


def _skip(self, node):
    raise nodes.SkipNode


def setup(app):
    app.add_node(question_node, html=(visit_question_html, None),
                 latex=(_skip, None), text=(_skip, None), man=(_skip, None), texinfo=(_skip, None))
    app.add_directive("initlab-question", QuestionDirective)
    app.add_css_file("initlab/question.css")   # the static folder is added by initlab_explorer
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""The single-page build (``make pdf``) draws every node that the HTML build draws.

Sphinx looks up the visitors of an extension's node under the builder's name, ``singlehtml``, and
falls back to ``html`` only when no extension registered any node for ``singlehtml``.
sphinx-exercise does, so the nodes that other extensions registered for ``html`` alone
(sphinx-design's icons, the in-page explorer) would have no visitor in the single page. This
copies their ``html`` visitors over.
"""


def _inherit_html_visitors(app):
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


def setup(app):
    app.connect("builder-inited", _inherit_html_visitors)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

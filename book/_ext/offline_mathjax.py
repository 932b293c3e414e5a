"""Serve MathJax from the built book itself, so the math renders with no network.

MathJax 2.7 ships inside the ``jupyter-server-mathjax`` package. After an HTML build this copies it
to ``_static/mathjax/`` in the output, where ``mathjax_path`` in ``_config.yml`` points. It is not
kept in the source ``_static/`` folder, because Jupyter Book would add every script there to
every page.
"""

import shutil
from pathlib import Path


def _copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").exists():
        shutil.copytree(source, target, dirs_exist_ok=True)


def setup(app):
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

"""Links derived from the book's one address setting, ``repository.url`` in ``_config.yml``.

Jupyter Book derives the Binder launch button and the repository and issue buttons from it. This
extension derives what the pages themselves say, as MyST substitutions:

* ``{{ repository_url }}``: the repository, e.g. ``https://github.com/OWNER/REPO``;
* ``{{ pip_install_course }}``: the command that installs the course package from it.

A fork changes ``repository.url`` (and ``repository.branch``) and every link follows.
"""

from sphinx.errors import ConfigError


def _substitutions(app, config):
    url = (config.html_theme_options or {}).get("repository_url", "").rstrip("/")
    if not url.startswith("https://"):
        raise ConfigError("set repository.url in _config.yml to the book's repository, "
                          f"e.g. https://github.com/OWNER/REPO (found {url!r})")
    config.myst_substitutions = {
        "repository_url": url,
        "pip_install_course": f'`pip install "initlab[course] @ git+{url}"`',
        **(config.myst_substitutions or {}),
    }


def setup(app):
    app.connect("config-inited", _substitutions)
    return {"parallel_read_safe": True, "parallel_write_safe": True}

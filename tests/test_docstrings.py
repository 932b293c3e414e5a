"""Every public name of ``initlab`` shows how to use it, and every example it shows is true.

The package's API page is part of the course: a learner reads ``help(he_normal)`` or the API page
and should see the formula at work on a case they know. So

* every module lists its public names in ``__all__``;
* every function, class and initializer preset (``initializers.NAMES``) named there has a
  docstring with at least one ``>>>`` line (for a class: the class's own docstring);
* every ``>>>`` example in the package runs and prints what its docstring says, exactly as
  ``python -m pytest --doctest-modules src/initlab`` would run it (same option flags), so the
  examples are checked by every ``make test``.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import io
import tempfile
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "initlab"

# Modules being written right now, checked once they land (the list is then emptied). Names they
# define are skipped wherever they are re-exported (e.g. from ``initlab.checks``).
NOT_YET: set[str] = set()

# pytest's default ``doctest_optionflags`` is ELLIPSIS; the same flags here give the same verdicts.
FLAGS = doctest.ELLIPSIS


def module_names() -> list[str]:
    """``initlab.x.y`` for every module of the package, packages included, sorted."""
    names = []
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


MODULES = [m for m in module_names() if m not in NOT_YET]


def _own_doc(obj) -> str:
    """The docstring written for ``obj`` itself: a class does not borrow its base's."""
    if inspect.isclass(obj):
        return obj.__dict__.get("__doc__") or ""
    return getattr(obj, "__doc__", None) or ""


def _has_example(doc: str) -> bool:
    return any(line.lstrip().startswith(">>>") for line in doc.splitlines())


def _documented_kind(module, name: str) -> bool:
    """Whether ``module.name`` must carry an example: a function, a class or a preset."""
    obj = getattr(module, name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        return True
    return module.__name__ == f"{PACKAGE}.initializers" and name in module.NAMES


def missing_examples(module_name: str) -> list[str]:
    """The public names of one module whose docstring has no ``>>>`` line."""
    module = importlib.import_module(module_name)
    if not hasattr(module, "__all__"):
        public = [n for n, v in vars(module).items() if not n.startswith("_")
                  and (inspect.isfunction(v) or inspect.isclass(v))
                  and getattr(v, "__module__", "") == module_name]
        # A module that defines no function or class (the package root) has nothing to list.
        return [f"{module_name} has no __all__ (it defines {', '.join(public)})"] if public else []
    missing = []
    for name in module.__all__:
        obj = getattr(module, name)        # AttributeError here: __all__ names a missing name
        home = getattr(obj, "__module__", "") or ""
        if not _documented_kind(module, name) or not home.startswith(PACKAGE) or home in NOT_YET:
            continue
        if not _has_example(_own_doc(obj)):
            missing.append(f"{module_name}.{name}")
    return missing


def test_the_exclusion_list_names_real_modules():
    assert NOT_YET <= set(module_names()), sorted(NOT_YET - set(module_names()))


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_has_an_example(module_name):
    missing = missing_examples(module_name)
    assert not missing, "no >>> example in the docstring of: " + ", ".join(missing)


def test_the_check_sees_a_missing_example():
    """The check above can fail: a function without ``>>>`` is reported, one with it is not."""
    def bare():
        """Return 1."""

    def shown():
        """Return 1.

        >>> shown()
        """

    assert not _has_example(_own_doc(bare)) and _has_example(_own_doc(shown))

    class Base:
        """A base.

        >>> Base()
        """

    class Child(Base):
        pass

    assert not _has_example(_own_doc(Child))     # no borrowing from the base class


def run_doctests(module_name: str) -> tuple[int, int, str]:
    """Run one module's examples: (failed, attempted, the report of the failures)."""
    module = importlib.import_module(module_name)
    out = io.StringIO()
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in doctest.DocTestFinder().find(module, module_name):
        runner.run(test, out=out.write)
    result = runner.summarize(verbose=False)
    return result.failed, result.attempted, out.getvalue()


@pytest.mark.parametrize("module_name", MODULES)
def test_examples_run_and_print_what_they_say(module_name, tmp_path, monkeypatch):
    # The examples make scratch folders with tempfile; they land in pytest's tmp_path, which
    # pytest cleans up, instead of piling up in the system's temporary folder.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    failed, _attempted, report = run_doctests(module_name)
    assert failed == 0, report

"""`pip install -e .` gives a working package: pyproject.toml declares what the package imports.

Every third-party module that ``src/initlab`` imports (at the top of a module or inside a function)
must come from a distribution that ``[project] dependencies`` names, or, for the instructor's
toolkit ``initlab.course``, from its ``course`` extra; a module may also come from a dependency
of such a distribution (``absl`` arrives with TensorFlow), which the installed metadata confirms.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "initlab"

# import name -> the distribution that provides it, where the two names differ
DISTRIBUTION = {"PIL": "pillow", "sklearn": "scikit-learn", "IPython": "ipython", "absl": "absl-py",
                "otter": "otter-grader", "tensorflow": "tensorflow-cpu" if sys.platform == "linux" else "tensorflow"}


def _name(requirement: str) -> str:
    return re.split(r"[\s;<>=!~\[]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def declared(extra: str | None = None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = {_name(r) for r in project["dependencies"]}
    if extra:
        names |= {_name(r) for r in project["optional-dependencies"][extra]}
    return names


def third_party_imports(paths) -> set[str]:
    stdlib = set(sys.stdlib_module_names)
    found = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                tops = [a.name.split(".")[0] for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                tops = [node.module.split(".")[0]]
            else:
                continue
            found |= {t for t in tops if t not in stdlib and t not in ("initlab", "__future__")}
    return found


def provided_by(module: str, distributions: set[str]) -> bool:
    """``module`` comes from one of ``distributions``, or from one of their own requirements."""
    dist = DISTRIBUTION.get(module, module).lower().replace("_", "-")
    if dist in distributions:
        return True
    for parent in distributions:
        try:
            requires = metadata.requires(parent) or []
        except metadata.PackageNotFoundError:
            continue
        if dist in {_name(r) for r in requires if "extra ==" not in r}:
            return True
    return False


def test_the_names_are_parsed():
    assert {"numpy", "matplotlib"} <= declared()
    assert "otter-grader" in declared("course") - declared()
    assert {"numpy", "matplotlib", "tensorflow"} <= third_party_imports(SRC.rglob("*.py"))


@pytest.mark.parametrize("part", ["learner", "course"])
def test_every_import_is_declared(part):
    course = SRC / "course"
    files = [p for p in SRC.rglob("*.py") if (course in p.parents) == (part == "course")]
    names = declared("course" if part == "course" else None)
    missing = sorted(m for m in third_party_imports(files) if not provided_by(m, names))
    assert not missing, f"imported by the {part} modules but not declared in pyproject.toml: {missing}"


def _text_io_without_encoding(path: Path) -> list[int]:
    """Lines that open a file in text mode without naming its encoding: under a non-UTF-8 locale
    Python would then read and write the course's files (σ, ×, ✔ …) in the locale's encoding."""
    lines = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call) or any(k.arg == "encoding" for k in node.keywords):
            continue
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in ("read_text", "write_text"):
            lines.append(node.lineno)
        elif isinstance(func, ast.Name) and func.id == "open":
            mode = node.args[1] if len(node.args) > 1 else next(
                (k.value for k in node.keywords if k.arg == "mode"), ast.Constant("r"))
            if not (isinstance(mode, ast.Constant) and "b" in str(mode.value)):
                lines.append(node.lineno)
    return lines


def test_the_encoding_check_sees_a_bare_open(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text('open("a")\nopen("a", "rb")\nopen("a", encoding="utf-8")\np.read_text()\n',
                      encoding="utf-8")
    assert _text_io_without_encoding(sample) == [1, 4]


def test_text_files_are_opened_as_utf8_whatever_the_locale():
    sources = [*SRC.rglob("*.py"), *(ROOT / "book" / "_ext").glob("*.py"), *(ROOT / "tools").glob("*.py")]
    missing = {str(p.relative_to(ROOT)): _text_io_without_encoding(p) for p in sources}
    assert not {p: lines for p, lines in missing.items() if lines}

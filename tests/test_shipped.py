"""What the project ships stands on its own: no path of a development machine, no folder
beside the checkout, and every kernel-model citation points at a section of
docs/kernel-model.md that exists."""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, List, Tuple

import pytest

from conftest import ROOT
from pmemplan.lint import RULES

DOC = ROOT / "docs" / "kernel-model.md"
SHIPPED_GLOBS = ("README.md", "LICENSE", "pyproject.toml", ".pre-commit-hooks.yaml", "docs/**/*",
                 "pmemplan/**/*.py", "benchmarks/**/*", "configs/**/*")

FORBIDDEN = [
    (re.compile(r"\.\./shared"), "a folder beside the checkout"),
    (re.compile(r"/work/"), "a path of the development machine"),
    (re.compile(r"PMEMPLAN_SHARED"), "the retired shared-data variable"),
    (re.compile(r"(?<!docs/)kernel-model(?:\.md)? ?§"), "a kernel-model citation without docs/"),
    (re.compile(r"(?<!docs/)kernel-model\.md"), "kernel-model.md without docs/"),
    (re.compile(r"observation rule \d"), "a rule number of a document that is not shipped"),
]
_SECTION = re.compile(r"§(\d+(?:\.\d+)*)")
_HEADING = re.compile(r"^#{2,4} (\d+(?:\.\d+)*)\.? ", re.M)


def shipped() -> List[Path]:
    out = set()
    for g in SHIPPED_GLOBS:
        for p in ROOT.glob(g):
            if p.is_file() and "__pycache__" not in p.parts:
                out.add(p)
    return sorted(out)


def text_of(p: Path) -> str:
    try:
        return p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return ""


def doc_sections() -> set:
    return set(_HEADING.findall(DOC.read_text(encoding="utf-8")))


def test_shipped_files_found():
    names = {str(p.relative_to(ROOT)) for p in shipped()}
    assert {"README.md", "LICENSE", "docs/kernel-model.md", "pmemplan/lint.py"} <= names


@pytest.mark.parametrize("path", shipped(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_machine_paths_and_citations_resolve(path):
    text = text_of(path)
    for rx, what in FORBIDDEN:
        m = rx.search(text)
        assert m is None, f"{path.relative_to(ROOT)}:{text[:m.start()].count(chr(10)) + 1}: {what}: {m.group(0)!r}"
    # every § in a shipped file refers to docs/kernel-model.md, and the section exists
    cited = _SECTION.findall(text)
    if cited and path != DOC:
        assert "docs/kernel-model.md" in text, path
    missing = sorted(set(cited) - doc_sections())
    assert not missing, f"{path.relative_to(ROOT)} cites missing sections {missing}"


def test_doc_sections_are_numbered_in_order():
    secs = _HEADING.findall(DOC.read_text(encoding="utf-8"))
    tops = [int(s.split(".")[0]) for s in secs if "." not in s]
    assert tops == list(range(1, len(tops) + 1))
    assert len(secs) == len(set(secs))
    # a subsection sits under its section
    for s in secs:
        if "." in s:
            assert s.rsplit(".", 1)[0] in secs, s


def test_doc_has_the_overrides_and_module_map():
    text = DOC.read_text(encoding="utf-8")
    assert re.search(r"^## \d+\. Where the observations overrode the reference$", text, re.M)
    assert re.search(r"^## \d+\. Module map$", text, re.M)
    # one line per module of pmemplan/ (the map is kept in step with the package)
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "pmemplan").rglob("*.py")
               if p.name != "__init__.py" or p.parent.name == "pmemplan"}
    listed = set(re.findall(r"^\| `(pmemplan/[^`]+\.py)` \|", text, re.M))
    assert modules == listed, (sorted(modules - listed), sorted(listed - modules))


def test_doc_names_bundled_observation_sets():
    """Observation sets named in the doc's table are folders of tests/data."""
    text = DOC.read_text(encoding="utf-8")
    table = text[text.index("## 13."):text.index("## 14.")]
    names = re.findall(r"^\| `([a-z0-9.-]+)` \|", table, re.M)
    assert len(names) >= 5
    for n in names:
        assert (ROOT / "tests" / "data" / n / "README.md").is_file() or \
            (ROOT / "tests" / "data" / n / "_README.md").is_file(), n


_COMMIT = re.compile(r"\b[0-9a-f]{12}\b|\bndctl [0-9a-f]{7}\b")


@pytest.mark.parametrize("rule", sorted(RULES))
def test_lint_rule_source_cites_the_doc_or_a_commit(rule):
    src = RULES[rule].source
    if rule == "invalid-input":        # not a kernel rule: the format it checks is the README's
        assert "README" in src
        return
    assert "docs/kernel-model.md §" in src or _COMMIT.search(src), src
    for s in _SECTION.findall(src):
        assert s in doc_sections(), (rule, s)


def _data_readmes() -> Iterator[Tuple[str, Path]]:
    for d in sorted((ROOT / "tests" / "data").iterdir()):
        if d.is_dir():
            yield d.name, d


@pytest.mark.parametrize("name,folder", list(_data_readmes()), ids=lambda x: x if isinstance(x, str) else "")
def test_every_data_set_says_where_it_came_from(name, folder):
    readmes = [p for p in (folder / "README.md", folder / "_README.md", folder / "README-section.md")
               if p.is_file()]
    assert readmes, f"tests/data/{name} has no README"
    for p in readmes:
        text = p.read_text(encoding="utf-8")
        assert "../shared" not in text and "/work/" not in text, p

"""Deep nesting never ends in a traceback: the loader counts nesting on the parser's events,
whatever quotes, comments and brackets hide it, and the CLI turns any RecursionError into
one ``file:line:col: message`` line and exit 2."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pmemplan import loader
from pmemplan.cli import cli
from pmemplan.errors import InputError

ROOT = Path(__file__).resolve().parents[1]
LOCATED = re.compile(r"^pmemplan: (.+):(\d+):(\d+): (.+)$")

# Items that sit beside the nested collection at every level.  Each one puts a quote,
# a comment or a bracket where a scan that does not read YAML exactly would lose count:
# quotes inside plain scalars (``a'b``, ``a 'b``: plain text, not the start of a quoted
# scalar), brackets inside quoted scalars, ``# [`` comments (to the end of the line).
DECORATIONS = [
    "a'b", "a 'b", 'a"b', 'a "b', "it's", "x'", "'q]'", "'q['", '"q]"', '"q[\\"]"', "'it''s ]'",
    "a#b", "# [\n", "# ]]]\n", "#'\n", '# "\n', "a b'c d", "a ' b", "a'b c'd",
]
DECORATION = st.sampled_from(DECORATIONS)
LEVEL = st.tuples(st.sampled_from(["seq", "map"]), st.lists(DECORATION, max_size=2))


def _nest(levels: list, depth: int) -> str:
    """``depth`` collections, one inside the other, with decorations at each level."""
    opens, closes = [], []
    for i in range(depth):
        kind, decos = levels[i % len(levels)]
        items = "".join(d if d.endswith("\n") else d + ", " for d in decos)
        if kind == "seq":
            opens.append("[" + items)
            closes.append("]")
        else:
            items = "".join(d if d.endswith("\n") else f"k{j}: {d}, " for j, d in enumerate(decos))
            opens.append("{" + items + "deep: ")
            closes.append("}")
    return "".join(opens) + "x" + "".join(reversed(closes))


def _check_one_line(text: str, path: str) -> re.Match:
    assert "Traceback" not in text and "RecursionError" not in text
    lines = text.strip().splitlines()
    assert len(lines) == 1, text
    m = LOCATED.match(lines[0])
    assert m and m.group(1) == path, lines[0]
    return m


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(levels=st.lists(LEVEL, min_size=1, max_size=6), before=st.lists(DECORATION, max_size=3),
       depth=st.sampled_from([101, 150, 10_000]))
def test_deep_nesting_behind_quotes_and_comments_is_exit_2(tmp_path_factory, levels, before, depth):
    text = "format: 1\nkernel: \"6.1\"\nx: [" + "".join(d if d.endswith("\n") else d + ", " for d in before) \
        + _nest(levels, depth) + "]\n"
    # PyYAML's own parser agrees on the depth (its composer would recurse that deep)
    assert _max_depth(text) >= min(depth, 200)
    path = str(tmp_path_factory.mktemp("deep") / "deep.yaml")
    Path(path).write_text(text)
    runner = CliRunner()
    r = runner.invoke(cli, ["layout", path])
    assert r.exit_code == 2, r.output
    m = _check_one_line(r.stderr, path)
    assert m.group(4) == f"nested too deeply: more than {loader.MAX_DEPTH} levels"
    assert r.stdout == ""
    r = runner.invoke(cli, ["lint", path])
    assert r.exit_code == 2, r.output
    m2 = _check_one_line(r.stderr, path)
    assert m2.groups() == m.groups()
    assert "Traceback" not in r.stdout


def _max_depth(text: str) -> int:
    """Nesting as PyYAML's parser reports it (events; no composing)."""
    depth = deepest = 0
    for ev in yaml.parse(text, Loader=loader._Loader):
        if isinstance(ev, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
            depth += 1
            deepest = max(deepest, depth)
            if deepest > 200:
                return deepest
        elif isinstance(ev, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
            depth -= 1
    return deepest


def test_the_reported_case():
    """The issue's example: ``a 'b`` looked like the start of a quoted scalar."""
    text = "format: 1\nx: [a 'b, " + "[" * 10_000 + "]" * 10_000 + ", c'd]\n"
    with pytest.raises(InputError) as ei:
        loader.load_platform_text(text, "deep.yaml")
    assert str(ei.value) == f"deep.yaml:2:{len('x: [a ') + 4 + loader.MAX_DEPTH - 1}: " \
                            f"nested too deeply: more than {loader.MAX_DEPTH} levels"


def test_fake_closers_in_quotes_do_not_hide_depth():
    """Closing brackets in a quoted scalar cancel nothing (a raw bracket count would say 50)."""
    n = 5000
    text = "format: 1\nx: " + "[" * n + '"' + "]" * n + '", ' + "[" * n + "]" * n + ', "' + "[" * n + '"' + "]" * n + "\n"
    with pytest.raises(InputError) as ei:
        loader.load_platform_text(text, "q.yaml")
    assert ei.value.message.startswith("nested too deeply")


@pytest.mark.parametrize("depth,ok", [(loader.MAX_DEPTH, True), (loader.MAX_DEPTH + 1, False)])
def test_the_limit_is_exact(depth, ok):
    # the root mapping is level 1
    text = "format: 1\nx: " + "[" * (depth - 1) + "]" * (depth - 1) + "\n"
    try:
        loader._compose(text, "d.yaml")
    except InputError as e:
        assert not ok and e.message.startswith("nested too deeply") and (e.line, e.column) == (2, 3 + depth - 1)
    else:
        assert ok


YAMLISH = st.text(alphabet="[]{}'\"#\n ab:,-?!|>\\", max_size=80)


@settings(max_examples=400, deadline=None)
@given(YAMLISH)
def test_composer_builds_the_tree_pyyaml_builds(text):
    """The event composer gives the node tree ``yaml.compose`` gives, or fails where it fails."""
    try:
        ref = yaml.compose(text, Loader=loader._Loader)
    except yaml.YAMLError:
        ref = "error"
    try:
        got = loader._compose_events(text, "t.yaml")
    except (yaml.YAMLError, InputError):
        got = "error"
    if ref == "error" or got == "error":
        assert ref == got
    else:
        assert _same(got, ref)


@pytest.mark.parametrize("path", sorted(str(p) for p in (ROOT / "configs").glob("*.yaml")))
def test_composer_on_configs(path):
    text = Path(path).read_text()
    assert _same(loader._compose_events(text, path), yaml.compose(text, Loader=loader._Loader))


def test_composer_with_anchors_and_merges():
    text = "a: &a {x: 1, y: [1, 2]}\nb: {<<: *a, z: 3}\nc: [*a, *a]\nd: &s 'q'\ne: *s\n"
    got, ref = loader._compose_events(text, "t.yaml"), yaml.compose(text, Loader=loader._Loader)
    assert _same(got, ref)
    c = got.value[2][1].value
    assert c[0] is c[1] is got.value[0][1]          # aliases share the node, as PyYAML's do


def _same(a, b) -> bool:
    if a is None or b is None:
        return a is b
    if type(a) is not type(b) or a.tag != b.tag:
        return False
    if (a.start_mark.index, a.end_mark.index) != (b.start_mark.index, b.end_mark.index):
        return False
    if isinstance(a, yaml.ScalarNode):
        return a.value == b.value and a.style == b.style
    if a.flow_style != b.flow_style or len(a.value) != len(b.value):
        return False
    if isinstance(a, yaml.SequenceNode):
        return all(_same(x, y) for x, y in zip(a.value, b.value))
    return all(_same(k, l) and _same(v, w) for (k, v), (l, w) in zip(a.value, b.value))


def test_recursion_error_anywhere_is_exit_2(monkeypatch, tmp_path):
    """A RecursionError from the engine or a renderer (the loader bounds nesting, so this
    is the last line of defence) is one located line and exit 2, for layout and lint."""
    p = tmp_path / "ok.yaml"
    p.write_text((ROOT / "configs" / "qemu-nvdimm.yaml").read_text())

    def boom(*a, **k):
        raise RecursionError("maximum recursion depth exceeded")

    import pmemplan.engine as engine
    import pmemplan.lint as lint
    monkeypatch.setattr(engine, "compute_layout", boom)
    monkeypatch.setattr(lint, "lint_platform", boom)
    runner = CliRunner()
    for args in (["layout", str(p)], ["layout", str(p), "--format", "json"], ["lint", str(p)]):
        r = runner.invoke(cli, args)
        assert r.exit_code == 2, (args, r.output)
        m = _check_one_line(r.stderr, str(p))
        assert (m.group(2), m.group(3)) == ("1", "1")
        assert "Traceback" not in r.output

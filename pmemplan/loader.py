"""Read a platform file into a :class:`~pmemplan.platform.Platform`.

YAML is parsed with PyYAML's C composer into a node tree and turned into plain
values here (mappings -> dict, sequences -> list, scalars -> str, null -> None):
PyYAML's constructor is never used, so YAML 1.1 number rules (``010`` -> 8,
``1:30`` -> 90) never touch a value; pydantic and :mod:`pmemplan.sizes` read the
strings.  Every problem becomes one :class:`~pmemplan.errors.InputError` with the
file, line and column (1-based) it is about.

The input may come from a pull request, so the loader bounds what hostile YAML can
cost: file size, nesting depth and the node count after alias expansion are checked
on the event stream (which the parser produces without recursion) while the node
tree is composed from it here, without recursion either (:func:`_compose_events`).
"""
from __future__ import annotations

import gc
import os
import re
from contextlib import contextmanager
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import yaml
from pydantic_core import ValidationError

from ._model import kind_at
from .errors import InputError
from .platform import Platform, check_platform

__all__ = ["load_platform", "load_platform_text", "locate_in", "MAX_BYTES", "MAX_DEPTH", "MAX_NODES", "MAX_ALIAS_NODES"]

MAX_BYTES = 128 << 20          # a platform file is KBs; generated ones reach tens of MB
MAX_DEPTH = 100                # collections nested (format 1 needs 4)
MAX_NODES = 2_000_000          # nodes after alias expansion
# Aliases cost no parsing, only validation: they may add at most this many nodes, or as
# many as the file itself holds (a template merged into every namespace).
MAX_ALIAS_NODES = 200_000
_MAX_REPORTED = 1000           # errors looked at to find the first one in the file

_T = "tag:yaml.org,2002:"
_NULL, _INT, _FLOAT, _MERGE = _T + "null", _T + "int", _T + "float", _T + "merge"
_STR, _SEQ, _MAP = _T + "str", _T + "seq", _T + "map"
_PLAIN = "tag:pmemplan,2026:plain"                 # an untagged plain scalar: a string to us
_NULLS = frozenset(("", "~", "null", "Null", "NULL"))
_CORE_TAGS = frozenset(_T + t for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")) | {_PLAIN}


class _PlainResolver:
    """Implicit tags without YAML 1.1's guesses: every value is a string to pmemplan
    (sizes, versions and booleans are read by the validator), so plain scalars are only
    told apart as null, the merge key, or plain text (``_PLAIN``).  PyYAML's resolver
    runs a regex or two per scalar, a third of the composing time of a big file."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            if implicit[0]:
                if value in _NULLS:
                    return _NULL
                return _MERGE if value == "<<" else _PLAIN
            return _STR
        return _SEQ if kind is yaml.SequenceNode else _MAP


_Base: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader
_Loader: Any = type("_Loader", (_PlainResolver, _Base), {})


def _yaml11_tag(node: Any) -> str:
    """The tag YAML 1.1 (yaml.safe_load) gives a plain scalar: for messages about numbers."""
    if node.tag != _PLAIN:
        return node.tag
    return yaml.resolver.Resolver().resolve(yaml.ScalarNode, node.value, (True, False))
_OCTAL_RE = re.compile(r"[-+]?0[0-7_]+")          # what YAML 1.1 reads as an octal int
# Characters YAML does not allow in a stream (YAML 1.1 "printable" complement).
_BAD_CHAR_RE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_QUOTE_KEYS = ("kernel", "ndctl")                  # top-level keys that are version strings
_EMPTY_MSG = "empty file: expected a platform mapping with format: 1"

Loc = Tuple[Union[str, int], ...]
_Mark = Tuple[int, int]                            # 1-based (line, column)


# ----------------------------------------------------------------------------- API

def load_platform(source: Any, *, name: Optional[str] = None) -> Platform:
    """Load and check a platform.

    ``source`` is a path (``os.PathLike``, or a ``str`` without a newline when ``name``
    is not given), a readable file object (e.g. ``sys.stdin``), or the file's content
    as ``bytes``/``str``; ``name`` is the file name errors carry (``"<stdin>"``).
    Raises :class:`InputError` for anything that is not a valid platform.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        return load_platform_text(bytes(source), name or "<input>")
    if isinstance(source, str) and (name is not None or "\n" in source):
        return load_platform_text(source, name or "<input>")
    if hasattr(source, "read"):
        fname = name or str(getattr(source, "name", None) or "<stdin>")
        try:
            data = source.read(MAX_BYTES + 1)
        except (OSError, ValueError) as e:
            raise InputError(f"cannot read: {_os_reason(e)}", fname) from None
        return load_platform_text(data, fname)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        if isinstance(path, bytes):
            path = os.fsdecode(path)
        return load_platform_text(_read_file(path), name or path)
    raise TypeError(f"load_platform: expected a path, bytes or str, not {type(source).__name__}")


def load_platform_text(text: Union[str, bytes], name: str) -> Platform:
    """Load a platform from the file's content; ``name`` is used in error messages."""
    return _load(text, name)[0]


def locate_in(text: Union[str, bytes], name: str) -> Tuple[Platform, Callable[[Sequence[Any]], _Mark]]:
    """:func:`load_platform_text`, plus ``locate(loc) -> (line, column)``: where the value
    at a location path such as ``("regions", 0, "namespaces", 1)`` is written (or the
    closest enclosing node that is), for messages about a valid platform (lint)."""
    platform, root = _load(text, name)
    return platform, _Locator(root).mark


def _load(text: Union[str, bytes], name: str) -> Tuple[Platform, Any]:
    if isinstance(text, (bytes, bytearray)):
        text = _decode(bytes(text), name)
    if len(text) > MAX_BYTES:
        raise InputError(f"file too large ({len(text) >> 20} MiB; the limit is {MAX_BYTES >> 20} MiB)", name)
    if text.startswith("\ufeff"):
        text = text[1:]
    _check_chars(text, name)
    with _gc_paused():
        root = _compose(text, name)
        _check_quoted_versions(root, name)
        data = _Builder(name, root).build(root)
        try:
            platform = Platform.from_dict(data)
        except ValidationError as e:
            raise _validation_error(e, root, name) from None
        problems = check_platform(platform)
    if problems:
        where = _Locator(root)
        located = [(where.mark(loc), loc, msg) for loc, msg in problems[:_MAX_REPORTED]]
        (line, col), loc, msg = min(located, key=lambda t: t[0])
        raise InputError(_tidy(_with_loc(loc, msg)), name, line, col)
    return platform, root


# ----------------------------------------------------------------------------- bytes -> text

def _os_reason(e: BaseException) -> str:
    return (getattr(e, "strerror", None) or str(e)).rstrip(".")


def _read_file(path: str) -> bytes:
    try:
        if os.path.isdir(path):
            raise InputError("is a directory, not a platform file", path)
        with open(path, "rb") as f:
            try:
                st = os.fstat(f.fileno())
                if st.st_size > MAX_BYTES:
                    raise InputError(f"file too large ({st.st_size >> 20} MiB; the limit is {MAX_BYTES >> 20} MiB)", path)
            except OSError:
                pass
            return f.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError("No such file", path) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a platform file", path) from None
    except PermissionError:
        raise InputError("permission denied", path) from None
    except (OSError, ValueError) as e:       # ValueError: embedded NUL in the path
        raise InputError(f"cannot read: {_os_reason(e)}", path) from None


def _line_col(text: str, pos: int) -> _Mark:
    start = text.rfind("\n", 0, pos) + 1
    return text.count("\n", 0, pos) + 1, pos - start + 1


def _decode(data: bytes, name: str) -> str:
    if len(data) > MAX_BYTES:
        raise InputError(f"file too large ({len(data) >> 20} MiB; the limit is {MAX_BYTES >> 20} MiB)", name)
    if data[:4] in (b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff") or data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise InputError("UTF-16/UTF-32 text; save the file as UTF-8", name, 1, 1)
    nul = data.find(b"\x00")
    if nul >= 0:
        line, col = _byte_line_col(data, nul)
        raise InputError("binary file (NUL byte); expected YAML text", name, line, col)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line, col = _byte_line_col(data, e.start)
        raise InputError(f"not UTF-8 text (byte 0x{data[e.start]:02x})", name, line, col) from None


def _byte_line_col(data: bytes, pos: int) -> _Mark:
    start = data.rfind(b"\n", 0, pos) + 1
    return data.count(b"\n", 0, pos) + 1, len(data[start:pos].decode("utf-8", "replace")) + 1


def _check_chars(text: str, name: str) -> None:
    m = _BAD_CHAR_RE.search(text)
    if m:
        ch = m.group()
        line, col = _line_col(text, m.start())
        what = "binary file (NUL character); expected YAML text" if ch == "\x00" else \
            f"character U+{ord(ch):04X} is not allowed in YAML"
        raise InputError(what, name, line, col)


@contextmanager
def _gc_paused() -> Iterator[None]:
    """The composer and the builder allocate many objects and no cycles; the cyclic
    GC would rescan them over and over (it triples the load time of big files)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


# ----------------------------------------------------------------------------- YAML -> nodes

def _yaml_error(e: yaml.YAMLError, text: str, name: str) -> InputError:
    if isinstance(e, yaml.MarkedYAMLError):
        mark = e.problem_mark or e.context_mark
        parts = [p for p in (e.context, e.problem) if p]
        msg = "YAML: " + ", ".join(parts) if parts else "YAML syntax error"
        if "maximum nesting depth" in msg:
            # libyaml 0.2.5+ has its own depth limit; it may trip before our count does
            msg = f"nested too deeply: more than {MAX_DEPTH} levels"
        if mark is not None:
            return InputError(msg, name, mark.line + 1, mark.column + 1)
        return InputError(msg, name)
    if isinstance(e, yaml.reader.ReaderError):
        # C reader: a byte offset into the UTF-8 encoding
        line, col = _byte_line_col(text.encode("utf-8", "surrogatepass"), e.position)
        return InputError(f"YAML: {e.reason}", name, line, col)
    return InputError(f"YAML: {e}".splitlines()[0], name)


def _compose(text: str, name: str) -> Any:
    try:
        node = _compose_events(text, name)
    except yaml.YAMLError as e:
        raise _yaml_error(e, text, name) from None
    if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
        raise InputError(_EMPTY_MSG, name, *(_mark(node) if node is not None else (None, None)))
    if not isinstance(node, yaml.MappingNode):
        what = "a list" if isinstance(node, yaml.SequenceNode) else f"the scalar {_show(node.value)}"
        raise InputError(f"the top level must be a mapping (format: 1, kernel: ..., regions: ...), not {what}",
                         name, *_mark(node))
    return node


def _compose_events(text: str, name: str) -> Any:
    """The node tree of the (single) document, composed here from the parser's event
    stream -- the node tree ``yaml.compose`` gives, built without recursion.

    The parser (libyaml, or PyYAML's pure-Python one) keeps its own state stack, so it
    never recurses; PyYAML's composers do (the C one on the C stack: it crashes near 100k
    levels).  Composing here lets every limit be checked exactly, on the events the parser
    really produces (so quotes, comments, block scalars and brackets inside plain scalars
    are read the way YAML reads them), before the next event is parsed: nesting deeper
    than MAX_DEPTH (aliases included), more than MAX_NODES nodes after alias expansion,
    recursive, duplicate or undefined anchors, and several documents.  It costs about what
    the C composer costs: most of either is making the Python node objects."""
    E = yaml.events
    scalar_t, alias_t = E.ScalarEvent, E.AliasEvent
    seq_t, map_t = E.SequenceStartEvent, E.MappingStartEvent
    seq_end_t, map_end_t = E.SequenceEndEvent, E.MappingEndEvent
    doc_t, stream_end_t = E.DocumentStartEvent, E.StreamEndEvent
    Scalar, Sequence_, Mapping = yaml.ScalarNode, yaml.SequenceNode, yaml.MappingNode
    loader = _Loader(text)
    resolve = loader.resolve
    get_event = loader.get_event

    def fail(msg: str, ev: Any) -> InputError:
        m = ev.start_mark
        return InputError(msg, name, m.line + 1, m.column + 1)

    root: Any = None
    top: Any = None           # the collection being filled
    key: Any = None           # a mapping key waiting for its value
    # per open collection: (parent, parent's waiting key, anchor, nodes before it,
    # deepest level inside it so far -- as a one-item list, updated in place)
    stack: List[Tuple[Any, Any, Optional[str], int, List[int]]] = []
    inner: List[int] = [0]    # deepest level inside ``top`` (the document level: 0)
    anchors: Dict[str, Tuple[int, int, Any, Any]] = {}   # anchor -> (nodes, height, mark, node)
    opened: Dict[str, Any] = {}                          # anchors of collections still open
    nodes = docs = depth = aliased = 0
    over: Any = None          # the alias that passed MAX_ALIAS_NODES
    try:
        while True:
            ev = get_event()
            t = type(ev)
            if t is scalar_t:
                tag = ev.tag
                if tag is None or tag == "!":
                    tag = resolve(Scalar, ev.value, ev.implicit)
                node = Scalar(tag, ev.value, ev.start_mark, ev.end_mark, ev.style)
                nodes += 1
                if ev.anchor is not None:
                    _new_anchor(ev, anchors, opened, fail)
                    anchors[ev.anchor] = (1, 0, ev.start_mark, node)
            elif t is map_t or t is seq_t:
                depth += 1
                if depth > MAX_DEPTH:
                    raise fail(f"nested too deeply: more than {MAX_DEPTH} levels", ev)
                nodes += 1
                if nodes > MAX_NODES:
                    raise fail(f"too many nodes (alias expansion?): more than {MAX_NODES:,}", ev)
                cls = Mapping if t is map_t else Sequence_
                tag = ev.tag
                if tag is None or tag == "!":
                    tag = resolve(cls, None, ev.implicit)
                anchor = ev.anchor
                if anchor is not None:
                    _new_anchor(ev, anchors, opened, fail)
                    opened[anchor] = ev.start_mark
                stack.append((top, key, anchor, nodes - 1, inner))
                top, key, inner = cls(tag, [], ev.start_mark, None, ev.flow_style), None, [depth]
                continue
            elif t is seq_end_t or t is map_end_t:
                node = top
                node.end_mark = ev.end_mark
                deepest = inner[0]
                top, key, anchor, before, inner = stack.pop()
                if inner[0] < deepest:
                    inner[0] = deepest
                if anchor is not None:
                    anchors[anchor] = (nodes - before, deepest - depth + 1, opened.pop(anchor), node)
                depth -= 1
            elif t is alias_t:
                a = anchors.get(ev.anchor)
                if a is None:
                    if ev.anchor in opened:
                        raise fail(f"recursive alias *{ev.anchor} (it refers to a node that contains it)", ev)
                    raise fail(f"alias *{ev.anchor} refers to no anchor &{ev.anchor} before it", ev)
                node = a[3]
                nodes += a[0]
                aliased += a[0]
                if over is None and aliased > MAX_ALIAS_NODES:
                    over = ev
                eff = depth + a[1]
                if eff > MAX_DEPTH:
                    raise fail(f"nested too deeply (alias expansion?): more than {MAX_DEPTH} levels", ev)
                if inner[0] < eff:
                    inner[0] = eff
            elif t is doc_t:
                docs += 1
                if docs > 1:
                    raise fail("several YAML documents; a platform file holds one", ev)
                continue
            elif t is stream_end_t:
                break
            else:                                    # stream start, document end
                continue
            if nodes > MAX_NODES:
                raise fail(f"too many nodes (alias expansion?): more than {MAX_NODES:,}", ev)
            if top is None:
                root = node
            elif key is not None:
                top.value.append((key, node))
                key = None
            elif type(top) is Mapping:
                key = node
            else:
                top.value.append(node)
        if over is not None and aliased > nodes - aliased:
            raise fail(f"too many nodes (alias expansion?): aliases expand to {aliased:,} nodes, "
                       f"the file itself holds {nodes - aliased:,}", over)
        return root
    finally:
        loader.dispose()


def _new_anchor(ev: Any, anchors: Dict[str, Tuple[int, int, Any, Any]], opened: Dict[str, Any], fail: Any) -> None:
    first = anchors[ev.anchor][2] if ev.anchor in anchors else opened.get(ev.anchor)
    if first is not None:
        raise fail(f"duplicate anchor &{ev.anchor} (first at line {first.line + 1})", ev)


# ----------------------------------------------------------------------------- nodes -> values

def _mark(node: Any) -> _Mark:
    m = node.start_mark
    return m.line + 1, m.column + 1


class _Builder:
    """mapping -> dict, sequence -> list, scalar -> str (null -> None); no constructor."""

    def __init__(self, name: str, root: Any) -> None:
        self.name = name
        self.root = root
        self.memo: Dict[int, Any] = {}     # aliased collections are built once and shared

    def fail(self, msg: str, node: Any) -> InputError:
        loc = _path_to(self.root, node)
        return InputError(_with_loc(loc or (), msg), self.name, *_mark(node))

    def build(self, node: Any) -> Any:
        cls = type(node)
        tag = node.tag
        if tag not in _CORE_TAGS:
            raise self.fail(f"unsupported YAML tag {_short_tag(tag)}", node)
        if cls is yaml.ScalarNode:
            if tag == _NULL:
                return None
            v = node.value
            if (tag == _PLAIN or tag == _INT and not node.style) and _OCTAL_RE.fullmatch(v):
                raise self.fail(_octal_msg(v), node)
            return v
        key = id(node)
        if key in self.memo:
            return self.memo[key]
        if cls is yaml.SequenceNode:
            out: Any = [self.build(n) for n in node.value]
        else:
            out = self._mapping(node)
        self.memo[key] = out
        return out

    def _mapping(self, node: Any) -> Dict[str, Any]:
        d: Dict[str, Any] = {}
        merges: List[Any] = []
        for k, v in node.value:
            if type(k) is not yaml.ScalarNode:
                raise self.fail("a key must be a plain string, not a " +
                                ("list" if isinstance(k, yaml.SequenceNode) else "mapping"), k)
            if k.tag == _MERGE:
                merges.append(v)
                continue
            key = k.value
            if key in d:
                first = next(p for p, _ in node.value if isinstance(p, yaml.ScalarNode) and p.value == key)
                raise self.fail(f"duplicate key '{_clip(key)}' (first at line {first.start_mark.line + 1})", k)
            d[key] = self.build(v)
        for m in merges:                   # YAML merge keys: explicit keys win, then the first source
            for src in (m.value if isinstance(m, yaml.SequenceNode) else [m]):
                if not isinstance(src, yaml.MappingNode):
                    raise self.fail("'<<' (merge) takes a mapping or a list of mappings", src)
                for kk, vv in self.build(src).items():
                    d.setdefault(kk, vv)
        return d


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_T):] if tag.startswith(_T) else _clip(tag)


def _octal_msg(v: str) -> str:
    plain = v.lstrip("+-").replace("_", "")
    dec = plain.lstrip("0") or "0"
    try:
        octal = f"the octal number {int(plain, 8)}" if len(plain) < 40 else "an octal number"
    except ValueError:
        octal = "an octal number"
    return f"{_clip(v)} has a leading zero, which YAML 1.1 reads as {octal}; write {dec}, or quote it if it is a name"


def _yaml_number(node: Any) -> str:
    """How YAML 1.1 (yaml.safe_load) reads a plain int/float scalar, for messages."""
    if len(node.value) > 40:
        return "a number"
    c = yaml.constructor.SafeConstructor()
    try:
        n = c.construct_yaml_int(node) if _yaml11_tag(node) == _INT else c.construct_yaml_float(node)
    except Exception:  # noqa: BLE001 - only for a message
        return "a number"
    return f"the number {n!r}"


def _check_quoted_versions(root: Any, name: str) -> None:
    """Version strings written as plain YAML numbers: ``kernel: 5.10`` is 5.1 to YAML."""
    def check(node: Any, label: str, key: Optional[str]) -> None:
        if isinstance(node, yaml.ScalarNode) and not node.style and _yaml11_tag(node) in (_INT, _FLOAT):
            v = _clip(node.value)
            fix = f'{key}: "{v}"' if key else f'"{v}"'
            raise InputError(f"{label}: {v} reads as {_yaml_number(node)} in YAML; quote it: {fix}",
                             name, *_mark(node))

    for key in _QUOTE_KEYS:
        hit = _find_key(root, key)
        if hit:
            check(hit[1], key, key)
    hit = _find_key(root, "targets")
    if hit and isinstance(hit[1], yaml.SequenceNode):
        for i, item in enumerate(hit[1].value):
            check(item, f"targets[{i}]", None)
    hit = _find_key(root, "regions")
    if hit and isinstance(hit[1], yaml.SequenceNode):
        for i, r in enumerate(hit[1].value):
            if isinstance(r, yaml.MappingNode):
                lv = _find_key(r, "label_version")
                if lv:
                    check(lv[1], f"regions[{i}].label_version", "label_version")


# ----------------------------------------------------------------------------- locations

_KeyIndex = Dict[int, Tuple[Dict[str, Tuple[Any, Any]], List[Any]]]


def _find_key(node: Any, key: str, depth: int = 0, index: Optional[_KeyIndex] = None) -> Optional[Tuple[Any, Any]]:
    """(key node, value node) of ``key`` in a mapping node, following merge keys.

    ``index`` caches a key table per mapping so that locating many errors in a mapping
    with many keys stays linear."""
    entry = index.get(id(node)) if index is not None else None
    if entry is None:
        table: Dict[str, Tuple[Any, Any]] = {}
        merges: List[Any] = []
        for k, v in node.value:
            if isinstance(k, yaml.ScalarNode):
                if k.tag == _MERGE:
                    merges.append(v)
                else:
                    table.setdefault(k.value, (k, v))
        entry = (table, merges)
        if index is not None:
            index[id(node)] = entry
    hit = entry[0].get(key)
    if hit is not None or depth >= MAX_DEPTH:
        return hit
    for m in entry[1]:
        for src in (m.value if isinstance(m, yaml.SequenceNode) else [m]):
            if isinstance(src, yaml.MappingNode):
                hit = _find_key(src, key, depth + 1, index)
                if hit:
                    return hit
    return None


class _Locator:
    """Location paths (as pydantic and check_platform give them) -> nodes of the tree."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.index: _KeyIndex = {}

    def node(self, loc: Sequence[Any], key_node: bool = False) -> Any:
        """The node at ``loc`` (its key node if ``key_node``), or the closest enclosing one."""
        node = self.root
        for i, part in enumerate(loc):
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                hit = _find_key(node, part, index=self.index)
                if hit is None:
                    return node
                if key_node and i == len(loc) - 1:
                    return hit[0]
                node = hit[1]
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
                node = node.value[part]
            else:
                return node
        return node

    def mark(self, loc: Sequence[Any], key_node: bool = False) -> _Mark:
        return _mark(self.node(loc, key_node))


def _path_to(root: Any, target: Any) -> Optional[Loc]:
    """The location path of ``target`` (a value or key node), for messages about a node."""
    stack: List[Tuple[Any, Loc]] = [(root, ())]
    seen = set()
    while stack:
        node, loc = stack.pop()
        if node is target:
            return loc
        if id(node) in seen or len(loc) > MAX_DEPTH:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((n, loc + (i,)) for i, n in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                if k is target:
                    return loc
                key = k.value if isinstance(k, yaml.ScalarNode) else "?"
                stack.append((v, loc + (key,)))
    return None


def _fmt_loc(loc: Sequence[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_.-]+", str(part)):
            out += ("." if out else "") + str(part)
        else:
            out += f"[{_clip(str(part))!r}]"
    return out


def _with_loc(loc: Sequence[Any], msg: str) -> str:
    where = _fmt_loc(loc)
    return f"{where}: {msg}" if where else msg


# ----------------------------------------------------------------------------- pydantic errors

def _clip(s: str, n: int = 40) -> str:
    return s if len(s) <= n else s[: n - 3] + "..."


def _tidy(msg: str) -> str:
    """One line, with long quoted values (a validator may quote all of its input) clipped."""
    msg = msg.splitlines()[0] if msg else msg
    if len(msg) > 200:
        msg = re.sub(r"'[^'\n]{41,}'", lambda m: repr(_clip(m.group()[1:-1])), msg)
    return _clip(msg, 400)


def _show(v: Any) -> str:
    if v is None:
        return "nothing (null)"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, list):
        return "a list"
    return repr(_clip(str(v)))


def _pydantic_message(err: Dict[str, Any], loc: Loc) -> str:
    kind, value, ctx = err["type"], err.get("input"), err.get("ctx") or {}
    if kind == "extra_forbidden":
        key = str(loc[-1])
        record, _ = kind_at(Platform, loc[:-1])
        fields = list(record._fields) if record is not None else []
        import difflib
        close = difflib.get_close_matches(key, fields, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else (f" (known keys: {', '.join(fields)})" if fields else "")
        return _with_loc(loc[:-1], f"unknown key '{_clip(key)}'{hint}")
    if kind == "literal_error":
        if loc == ("format",):
            return f"format: {_show(value)} is not a format this pmemplan reads; write format: 1"
        _, k = kind_at(Platform, loc)
        allowed = k.choices if k is not None else ()
        choices = ", ".join(map(str, allowed)) if allowed else ctx.get("expected", "?")
        return _with_loc(loc, f"{_show(value)} is not one of {choices}")
    if kind in ("string_type", "str_type"):
        msg = f"expected a string, got {_show(value)}"
    elif kind in ("list_type", "tuple_type"):
        msg = f"expected a list, got {_show(value)}"
    elif kind in ("model_type", "model_attributes_type", "dict_type", "mapping_type"):
        msg = f"expected a mapping, got {_show(value)}"
    elif kind in ("int_parsing", "int_type", "int_from_float"):
        msg = f"expected an integer, got {_show(value)}"
    elif kind == "int_parsing_size":
        msg = f"{_show(value)} is too large an integer"
    elif kind in ("bool_parsing", "bool_type"):
        msg = f"expected true or false, got {_show(value)}"
    elif kind in ("greater_than_equal", "greater_than", "less_than_equal", "less_than"):
        op = {"greater_than_equal": ">=", "greater_than": ">", "less_than_equal": "<=", "less_than": "<"}[kind]
        bound = next(iter(ctx.values()), "?")
        msg = f"must be {op} {bound}, got {_show(value)}"
    elif kind in ("value_error", "assertion_error"):
        msg = re.sub(r"^(Value|Assertion) error, ", "", err["msg"])
    else:
        msg = err["msg"]
    return _with_loc(loc, msg.splitlines()[0] if msg else kind)


def _validation_error(e: ValidationError, root: Any, name: str) -> InputError:
    """The error that comes first in the file (pydantic orders them by model field)."""
    where = _Locator(root)
    found: List[Tuple[_Mark, int, Loc, Optional[Dict[str, Any]], List[str]]] = []
    missing: Dict[Loc, List[str]] = {}
    for details in e.errors(include_url=False)[:_MAX_REPORTED]:
        err: Dict[str, Any] = dict(details)
        loc: Loc = tuple(err["loc"])
        if err["type"] == "missing" and loc:
            missing.setdefault(loc[:-1], []).append(str(loc[-1]))
        else:
            found.append((where.mark(loc, key_node=err["type"] == "extra_forbidden"), len(found), loc, err, []))
    unknown_in = {c[2][:-1] for c in found if c[3] is not None and c[3]["type"] == "extra_forbidden"}
    for parent, keys in missing.items():
        if parent not in unknown_in:     # "unknown key 'typ'; did you mean 'type'?" says it better
            found.append((where.mark(parent), len(found), parent, None, keys))
    (line, col), _, loc, first, keys = min(found)
    if first is not None:
        msg = _pydantic_message(first, loc)
    else:
        msg = f"missing required key '{keys[0]}'" if len(keys) == 1 else \
            "missing required keys " + ", ".join(f"'{k}'" for k in keys)
        if loc == () and "format" in keys:
            msg += " (a platform file starts with format: 1)"
        msg = _with_loc(loc, msg)
    return InputError(_tidy(msg), name, line, col)

"""Declarative records validated by pydantic-core, without pydantic's model machinery.

A record class declares each key once, dataclass-style::

    class Namespace(Record):
        name: str = field(STR)
        size: Optional[int] = field(SIZE, default=None)

From that one declaration come the pydantic-core schema that validates input (strict:
unknown keys are errors, the same error types pydantic reports), plain Python objects
with those attributes, and the JSON Schema ``pmemplan schema`` prints.

Why not ``pydantic.BaseModel``: building model classes and their validators costs more
than the rest of a ``pmemplan layout`` run (about 130 ms of start-up, measured by
``benchmarks/bench_startup.py``), while a ``pydantic_core.SchemaValidator`` built from
a hand-made core schema costs well under a millisecond and validates just as strictly.
"""
from __future__ import annotations

from typing import Any, Callable, ClassVar, Dict, List, Optional, Sequence, Tuple, Type, TypeVar

from pydantic_core import SchemaValidator
from pydantic_core import core_schema as cs

# A pydantic-core schema: built by the ``cs`` helpers (TypedDicts), read by SchemaValidator.
CoreSchema = Any

__all__ = ["Record", "field", "Kind", "STR", "BOOL", "integer", "choice", "list_of",
           "one", "dict_of", "checked", "kind_at", "size_kind"]

_R = TypeVar("_R", bound="Record")
_REQUIRED: Any = object()


# ----------------------------------------------------------------------------- kinds

class Kind:
    """How one value is validated (``core``) and described (``json``)."""

    choices: Tuple[Any, ...] = ()
    record: Optional[Type["Record"]] = None     # the record a mapping value becomes
    many: bool = False                          # a list of ``record``
    value: Optional["Kind"] = None              # a list's / dict's item kind

    def core(self) -> CoreSchema:
        raise NotImplementedError

    def json(self) -> Dict[str, Any]:
        raise NotImplementedError


class _Simple(Kind):
    def __init__(self, core: Callable[[], CoreSchema], json: Dict[str, Any]) -> None:
        self._core, self._json = core, json

    def core(self) -> CoreSchema:
        return self._core()

    def json(self) -> Dict[str, Any]:
        return dict(self._json)


STR: Kind = _Simple(lambda: cs.str_schema(strip_whitespace=True), {"type": "string"})
BOOL: Kind = _Simple(cs.bool_schema, {"type": "boolean"})


def integer(ge: Optional[int] = None, le: Optional[int] = None) -> Kind:
    json: Dict[str, Any] = {"type": "integer"}
    if ge is not None:
        json["minimum"] = ge
    if le is not None:
        json["maximum"] = le
    return _Simple(lambda: cs.int_schema(ge=ge, le=le), json)


def size_kind(parse: Callable[[Any], int]) -> Kind:
    """A size or address: ``parse`` turns the input (int or string) into bytes."""
    return _Simple(lambda: cs.no_info_plain_validator_function(parse), {"$ref": "#/$defs/Size"})


class _Choice(Kind):
    def __init__(self, choices: Sequence[Any], before: Optional[Callable[[Any], Any]]) -> None:
        self.choices = tuple(choices)
        self._before = before

    def core(self) -> CoreSchema:
        s = cs.literal_schema(list(self.choices))
        return cs.no_info_before_validator_function(self._before, s) if self._before else s

    def json(self) -> Dict[str, Any]:
        if len(self.choices) == 1:
            c = self.choices[0]
            return {"const": c, "type": "integer" if isinstance(c, int) else "string"}
        return {"enum": list(self.choices), "type": "string"}


def choice(*choices: Any, before: Optional[Callable[[Any], Any]] = None) -> Kind:
    """One of ``choices`` (a Literal); ``before`` may first convert the input."""
    return _Choice(choices, before)


class _One(Kind):
    def __init__(self, record: Type["Record"]) -> None:
        self.record = self.one = record

    def core(self) -> CoreSchema:
        return self.one.core_schema()

    def json(self) -> Dict[str, Any]:
        return {"$ref": f"#/$defs/{self.one.__name__}"}


class _ListOf(Kind):
    many = True

    def __init__(self, item: Kind) -> None:
        self.value = item
        self.record = item.record

    def core(self) -> CoreSchema:
        assert self.value is not None
        return cs.list_schema(self.value.core())

    def json(self) -> Dict[str, Any]:
        assert self.value is not None
        return {"items": self.value.json(), "type": "array"}


class _DictOf(Kind):
    def __init__(self, value: Kind) -> None:
        self.value = value

    def core(self) -> CoreSchema:
        assert self.value is not None
        return cs.dict_schema(cs.str_schema(), self.value.core())

    def json(self) -> Dict[str, Any]:
        assert self.value is not None
        return {"additionalProperties": self.value.json(), "type": "object"}


class _Checked(Kind):
    def __init__(self, inner: Kind, check: Callable[[Any], Any]) -> None:
        self._inner, self._check = inner, check
        self.choices, self.value = inner.choices, inner.value
        self.many, self.record = inner.many, inner.record

    def core(self) -> CoreSchema:
        return cs.no_info_after_validator_function(self._check, self._inner.core())

    def json(self) -> Dict[str, Any]:
        return self._inner.json()


def one(record: Type["Record"]) -> Kind:
    return _One(record)


def list_of(item: Any) -> Kind:
    """A list of ``item``: a Kind, or a record class."""
    return _ListOf(one(item) if isinstance(item, type) else item)


def dict_of(value: Kind) -> Kind:
    return _DictOf(value)


def checked(inner: Kind, check: Callable[[Any], Any]) -> Kind:
    """``inner``, then ``check(value)`` (raises ValueError; returns the value)."""
    return _Checked(inner, check)


# ----------------------------------------------------------------------------- fields

class Field:
    __slots__ = ("name", "kind", "default", "factory", "title", "description")

    def __init__(self, kind: Kind, default: Any, factory: Optional[Callable[[], Any]],
                 title: Optional[str] = None, description: Optional[str] = None) -> None:
        self.name = ""
        self.kind, self.default, self.factory = kind, default, factory
        self.title, self.description = title, description

    @property
    def required(self) -> bool:
        return self.default is _REQUIRED and self.factory is None

    @property
    def nullable(self) -> bool:
        return self.default is None

    def core(self) -> CoreSchema:
        s = self.kind.core()
        if self.nullable:
            s = cs.nullable_schema(s)
        if self.factory is not None:
            s = cs.with_default_schema(s, default_factory=self.factory)
        elif not self.required:
            s = cs.with_default_schema(s, default=self.default)
        return cs.typed_dict_field(s, required=self.required)

    def json(self) -> Dict[str, Any]:
        s = self.kind.json()
        if self.nullable:
            s = {"anyOf": [s, {"type": "null"}]}
        if self.factory is not None:
            s["default"] = self.factory()
        elif not self.required:
            s["default"] = self.default
        s["title"] = self.title or self.name.replace("_", " ").capitalize()
        if self.description:
            s["description"] = self.description
        return s

    def annotation(self) -> str:
        """The type annotation the kind implies (``Optional[...]`` when nullable): a
        record class's annotation of this key must read the same (tests/test_model.py
        checks every field of every record)."""
        t = _annotation(self.kind)
        return f"Optional[{t}]" if self.nullable else t


def _annotation(kind: Kind) -> str:
    if isinstance(kind, _Checked):
        return _annotation(kind._inner)
    if isinstance(kind, _One):
        assert kind.record is not None
        return kind.record.__name__
    if isinstance(kind, _ListOf):
        assert kind.value is not None
        return f"List[{_annotation(kind.value)}]"
    if isinstance(kind, _DictOf):
        assert kind.value is not None
        return f"Dict[str, {_annotation(kind.value)}]"
    if isinstance(kind, _Choice):
        types = {type(c).__name__ for c in kind.choices}
        assert len(types) == 1, kind.choices
        return types.pop()
    j = kind.json()
    if j.get("$ref") == "#/$defs/Size":
        return "int"
    return {"string": "str", "boolean": "bool", "integer": "int"}[j["type"]]


def field(kind: Kind, default: Any = _REQUIRED, *, factory: Optional[Callable[[], Any]] = None,
          title: Optional[str] = None, description: Optional[str] = None) -> Any:
    """Declare a key of a record; ``default=None`` makes it nullable (``Optional``).
    ``title``/``description`` are its JSON Schema text (``pmemplan schema``); the title
    defaults to the key in words."""
    return Field(kind, default, factory, title, description)


# ----------------------------------------------------------------------------- records

class Record:
    """A validated mapping as a plain object; subclasses declare their keys with :func:`field`."""

    _title: ClassVar[Optional[str]] = None           # JSON Schema title (default: the class name)
    _fields: ClassVar[Dict[str, Field]] = {}
    _nested: ClassVar[Tuple[Field, ...]] = ()
    _validator: ClassVar[Optional[SchemaValidator]] = None

    def __init_subclass__(cls, **kw: Any) -> None:
        super().__init_subclass__(**kw)
        fields = dict(getattr(cls, "_fields", {}))
        for name, value in list(vars(cls).items()):
            if isinstance(value, Field):
                value.name = name
                fields[name] = value
                delattr(cls, name)
        cls._fields = fields
        cls._nested = tuple(f for f in fields.values() if f.kind.record is not None)
        cls._validator = None

    def __init__(self, **values: Any) -> None:
        """Validate ``values`` (raises ``pydantic_core.ValidationError``, a ValueError)."""
        self.__dict__ = type(self).from_dict(values).__dict__

    # -- validation

    @classmethod
    def core_schema(cls) -> CoreSchema:
        return cs.typed_dict_schema({n: f.core() for n, f in cls._fields.items()},
                                    extra_behavior="forbid")

    @classmethod
    def validator(cls) -> SchemaValidator:
        v = cls.__dict__.get("_validator")
        if v is None:
            v = SchemaValidator(cls.core_schema())
            cls._validator = v
        return v

    @classmethod
    def from_dict(cls: Type[_R], data: Any) -> _R:
        """Validate plain data (as loaded from YAML/JSON) into a record, keys checked."""
        return cls._adopt(cls.validator().validate_python(data), data)

    @classmethod
    def _adopt(cls: Type[_R], values: Dict[str, Any], raw: Any) -> _R:
        """Make a record of already-validated ``values``; ``raw`` is the input they came from."""
        for f in cls._nested:
            v = values[f.name]
            if v is None:
                continue
            rec = f.kind.record
            assert rec is not None
            r = raw.get(f.name) if isinstance(raw, dict) else None
            if f.kind.many:
                rs = r if isinstance(r, list) and len(r) == len(v) else [None] * len(v)
                values[f.name] = [rec._adopt(x, y) for x, y in zip(v, rs)]
            else:
                values[f.name] = rec._adopt(v, r)
        obj = cls.__new__(cls)
        obj.__dict__ = values
        obj._adopted(raw)
        return obj

    def _adopted(self, raw: Any) -> None:
        """Hook: called once the values are set (``raw``: the input mapping, or None)."""

    # -- plain-object conveniences

    def replace(self: _R, **changes: Any) -> _R:
        """A shallow copy with ``changes`` applied (not re-validated)."""
        obj = type(self).__new__(type(self))
        obj.__dict__ = {**self.__dict__, **changes}
        return obj

    def to_dict(self) -> Dict[str, Any]:
        """The record as plain data (nested records and lists converted)."""
        return {n: _plain(self.__dict__[n]) for n in self._fields}

    def __eq__(self, other: object) -> bool:
        """Equal when every declared key is equal (how a value was written does not count)."""
        if type(other) is not type(self):
            return NotImplemented
        a, b = self.__dict__, other.__dict__
        return all(a[n] == b[n] for n in self._fields)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        shown = ", ".join(f"{n}={self.__dict__[n]!r}" for n, f in self._fields.items()
                          if f.required or self.__dict__[n] != (f.factory() if f.factory else f.default))
        return f"{type(self).__name__}({shown})"

    # -- description

    @classmethod
    def json_schema_defs(cls) -> Dict[str, Dict[str, Any]]:
        """JSON Schema object of this record and of every record it holds, by class name."""
        defs: Dict[str, Dict[str, Any]] = {}
        todo: List[Type[Record]] = [cls]
        while todo:
            r = todo.pop(0)
            if r.__name__ in defs:
                continue
            out: Dict[str, Any] = {"additionalProperties": False,
                                   "properties": {n: f.json() for n, f in r._fields.items()}}
            required = [n for n, f in r._fields.items() if f.required]
            if required:
                out["required"] = required
            out["title"] = r.__dict__.get("_title") or r.__name__
            out["type"] = "object"
            if r.__doc__:
                import inspect
                out["description"] = inspect.cleandoc(r.__doc__)
            defs[r.__name__] = out
            todo.extend(f.kind.record for f in r._nested if f.kind.record is not None)
        return defs


def _plain(v: Any) -> Any:
    if isinstance(v, Record):
        return v.to_dict()
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def kind_at(root: Type[Record], loc: Sequence[Any]) -> Tuple[Optional[Type[Record]], Optional[Kind]]:
    """What a location path such as ``("regions", 0, "namespaces", 1, "mode")`` points at:
    (the record whose key it is, the key's kind); (record, None) for a record itself."""
    rec: Optional[Type[Record]] = root
    kind: Optional[Kind] = None
    for part in loc:
        if kind is None:
            f = rec._fields.get(str(part)) if rec is not None else None
            if f is None:
                return None, None
            kind = f.kind
        elif kind.many or isinstance(kind, _DictOf):
            kind = kind.value
        else:
            return None, None
        if isinstance(kind, _One):
            rec, kind = kind.record, None
    return rec, kind

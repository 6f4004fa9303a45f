"""A drop-in for the part of :mod:`dataclasses` dockslim uses, built for start-up time.

``dataclasses.dataclass`` compiles each generated method with its own ``exec`` (six for a frozen
class) and imports :mod:`inspect`; over the ~50 classes a `dockslim check` loads that was ~30 ms of
a ~120 ms one-file run -- the largest single cost of the cold start (docs/decisions/records.md).
Here every method of a class is compiled in **one** ``exec``, and nothing else is imported.

Supported, with the semantics of CPython's dataclasses: ``@dataclass``, ``@dataclass(frozen=True)``,
``order=True``; ``field(default=..., default_factory=..., repr=..., compare=...)``; fields inherited
from a base record; ``ClassVar`` annotations skipped; methods the class defines itself kept;
:func:`replace` and :func:`fields`. Not supported (and not used): ``init=False``, ``kw_only``,
``slots``, ``__post_init__``, ``InitVar``, ``unsafe_hash``. ``tests/test_records.py`` checks the
behaviour against the standard library on the same class definitions.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["FrozenInstanceError", "dataclass", "field", "fields", "replace"]


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class FrozenInstanceError(AttributeError):
    """Assigning to a field of a frozen record (as ``dataclasses.FrozenInstanceError``)."""


class Field:
    __slots__ = ("name", "default", "default_factory", "repr", "compare")

    def __init__(self, default: Any = MISSING, default_factory: Any = MISSING, repr: bool = True,
                 compare: bool = True) -> None:
        if default is not MISSING and default_factory is not MISSING:
            raise ValueError("cannot specify both default and default_factory")
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr
        self.compare = compare

    def __repr__(self) -> str:
        return f"Field(name={self.name!r}, default={self.default!r}, default_factory={self.default_factory!r})"


def field(*, default: Any = MISSING, default_factory: Any = MISSING, repr: bool = True,
          compare: bool = True) -> Any:
    return Field(default, default_factory, repr, compare)


def fields(obj_or_class: Any) -> tuple[Field, ...]:
    return tuple(obj_or_class.__record_fields__.values())


def replace(obj: Any, **changes: Any) -> Any:
    """A new record like ``obj`` with ``changes`` (as ``dataclasses.replace``)."""
    for name in obj.__record_fields__:
        if name not in changes:
            changes[name] = getattr(obj, name)
    return obj.__class__(**changes)


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return getattr(annotation, "__origin__", None) is not None and "ClassVar" in repr(annotation)


def dataclass(cls: type | None = None, /, *, frozen: bool = False, order: bool = False,
              eq: bool = True, repr: bool = True) -> Any:
    def wrap(cls: type) -> type:
        return _process(cls, frozen=frozen, order=order, eq=eq, want_repr=repr)

    return wrap if cls is None else wrap(cls)


def _process(cls: type, *, frozen: bool, order: bool, eq: bool, want_repr: bool) -> type:
    specs: dict[str, Field] = {}
    for base in reversed(cls.__mro__[1:]):
        specs.update(getattr(base, "__record_fields__", {}))
    own = cls.__dict__
    for name, annotation in own.get("__annotations__", {}).items():
        if _is_classvar(annotation):
            continue
        value = own.get(name, MISSING)
        spec = value if isinstance(value, Field) else Field(default=value)
        if isinstance(spec.default, (list, dict, set)):
            raise ValueError(f"mutable default {type(spec.default)} for field {name} is not allowed: "
                             "use default_factory")
        spec.name = name
        specs[name] = spec
        if isinstance(value, Field):  # the class attribute becomes the plain default, as dataclasses do
            if spec.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, spec.default)

    g: dict[str, Any] = {"MISSING": MISSING, "FrozenInstanceError": FrozenInstanceError,
                         "__object_setattr": object.__setattr__, "__cls": cls}
    params, body = [], []
    seen_default = False
    for name, spec in specs.items():
        if spec.default is not MISSING:
            g[f"__dflt_{name}"] = spec.default
            params.append(f"{name}=__dflt_{name}")
            value = name
            seen_default = True
        elif spec.default_factory is not MISSING:
            g[f"__fact_{name}"] = spec.default_factory
            params.append(f"{name}=MISSING")
            value = f"__fact_{name}() if {name} is MISSING else {name}"
            seen_default = True
        else:
            if seen_default:
                raise TypeError(f"non-default argument {name!r} follows default argument")
            params.append(name)
            value = name
        body.append(f"  __object_setattr(self, {name!r}, {value})" if frozen else f"  self.{name} = {value}")

    lines: list[str] = []
    new: list[str] = []

    def method(name: str, source: list[str]) -> None:
        if name not in own:  # a method the class writes itself wins, as with dataclasses
            lines.extend(source)
            new.append(name)

    method("__init__", [f"def __init__(self, {', '.join(params)}):" if params else "def __init__(self):",
                        *(body or ["  pass"])])
    if want_repr:
        shown = ", ".join(f"{n}={{self.{n}!r}}" for n, s in specs.items() if s.repr)
        method("__repr__", ["def __repr__(self):", f"  return f'{{self.__class__.__qualname__}}({shown})'"])
    compared = [n for n, s in specs.items() if s.compare]
    mine = "(" + "".join(f"self.{n}," for n in compared) + ")"
    theirs = "(" + "".join(f"other.{n}," for n in compared) + ")"
    if eq:
        method("__eq__", ["def __eq__(self, other):", "  if other.__class__ is self.__class__:",
                          f"    return {mine} == {theirs}", "  return NotImplemented"])
    if order:
        for op, sym in (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">=")):
            method(op, [f"def {op}(self, other):", "  if other.__class__ is self.__class__:",
                        f"    return {mine} {sym} {theirs}", "  return NotImplemented"])
    explicit_hash = "__hash__" in own and own["__hash__"] is not None
    if frozen and eq and not explicit_hash:
        lines.extend(["def __hash__(self):", f"  return hash({mine})"])
        new.append("__hash__")
    if frozen:
        names = tuple(specs)
        g["__field_names"] = frozenset(names)
        for op, args, verb in (("__setattr__", "self, name, value", "assign to"),
                               ("__delattr__", "self, name", "delete")):
            method(op, [f"def {op}({args}):",
                        "  if type(self) is __cls or name in __field_names:",
                        f"    raise FrozenInstanceError(f'cannot {verb} field {{name!r}}')",
                        f"  super(__cls, self).{op}({args.split(', ', 1)[1]})"])

    namespace: dict[str, Callable[..., Any]] = {}
    exec("\n".join(lines), g, namespace)  # one compile for every method of the class
    for name in new:
        fn = namespace[name]
        fn.__qualname__ = f"{cls.__qualname__}.{name}"
        setattr(cls, name, fn)
    if eq and not frozen and not explicit_hash:
        cls.__hash__ = None  # type: ignore[assignment]  # mutable and comparable: unhashable
    cls.__record_fields__ = specs  # type: ignore[attr-defined]
    cls.__match_args__ = tuple(specs)  # type: ignore[attr-defined]
    return cls

"""A drop-in for the part of :mod:`dataclasses` dockslim uses, built for start-up time.

``dataclasses.dataclass`` compiles each generated method with its own ``exec`` (six for a frozen
class) and imports :mod:`inspect`; over the ~50 classes a `dockslim check` loads that was ~30 ms of
a ~120 ms one-file run -- the largest single cost of the cold start (docs/decisions/records.md).
Here only ``__init__`` is compiled (one small ``exec`` per class); repr, eq, hash, order and the
frozen guards are closures over the field names, and nothing else is imported.

Supported, with the semantics of CPython's dataclasses: ``@dataclass``, ``@dataclass(frozen=True)``,
``order=True``; ``field(default=..., default_factory=..., repr=..., compare=...)``; fields inherited
from a base record; ``ClassVar`` annotations skipped; methods the class defines itself kept;
:func:`replace` and :func:`fields`. Not supported (and not used): ``init=False``, ``kw_only``,
``slots``, ``__post_init__``, ``InitVar``, ``unsafe_hash``. ``tests/test_records.py`` checks the
behaviour against the standard library on the same class definitions.
"""

from __future__ import annotations

from operator import attrgetter, ge, gt, le, lt
from typing import TYPE_CHECKING, Any, Callable, TypeVar, overload

if TYPE_CHECKING:  # type checkers read these records as dataclasses (PEP 681); nothing at run time
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_kwargs: Any) -> Callable[[Any], Any]:
        return lambda decorator: decorator

_T = TypeVar("_T")

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


def field(*, default: Any = MISSING, default_factory: Callable[[], Any] = MISSING, repr: bool = True,
          compare: bool = True) -> Any:
    return Field(default, default_factory, repr, compare)


def fields(obj_or_class: Any) -> tuple[Field, ...]:
    return tuple(obj_or_class.__record_fields__.values())


def replace(obj: _T, **changes: Any) -> _T:
    """A new record like ``obj`` with ``changes`` (as ``dataclasses.replace``)."""
    for name in obj.__record_fields__:  # type: ignore[attr-defined]  # set on every record class
        if name not in changes:
            changes[name] = getattr(obj, name)
    return obj.__class__(**changes)


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.startswith(("ClassVar", "typing.ClassVar"))
    return getattr(annotation, "__origin__", None) is not None and "ClassVar" in repr(annotation)


@overload
def dataclass(cls: type[_T], /) -> type[_T]: ...


@overload
def dataclass(*, frozen: bool = False, order: bool = False, eq: bool = True,
              repr: bool = True) -> Callable[[type[_T]], type[_T]]: ...


@dataclass_transform(field_specifiers=(field, Field))
def dataclass(cls: type[_T] | None = None, /, *, frozen: bool = False, order: bool = False,
              eq: bool = True, repr: bool = True) -> type[_T] | Callable[[type[_T]], type[_T]]:
    def wrap(cls: type[_T]) -> type[_T]:
        return _process(cls, frozen=frozen, order=order, eq=eq, want_repr=repr)

    return wrap if cls is None else wrap(cls)


def _process(cls: type[_T], *, frozen: bool, order: bool, eq: bool, want_repr: bool) -> type[_T]:
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

    g: dict[str, Any] = {"MISSING": MISSING, "__object_setattr": object.__setattr__}
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

    own_methods = set(own)

    def install(name: str, fn: Callable[..., Any]) -> None:
        if name not in own_methods:  # a method the class writes itself wins, as with dataclasses
            fn.__qualname__ = f"{cls.__qualname__}.{name}"
            setattr(cls, name, fn)

    # Only __init__ is compiled (it must have the real signature, and is the one method on a hot
    # path); the others are closures over the field names, built without any compile.
    source = (f"def __init__(self, {', '.join(params)}):" if params else "def __init__(self):") + "\n"
    namespace: dict[str, Callable[..., Any]] = {}
    exec(source + "\n".join(body or ["  pass"]), g, namespace)
    install("__init__", namespace["__init__"])

    if want_repr:
        shown = tuple(n for n, s in specs.items() if s.repr)

        def __repr__(self: Any) -> str:
            inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in shown)
            return f"{self.__class__.__qualname__}({inner})"

        install("__repr__", __repr__)
    compared = [n for n, s in specs.items() if s.compare]
    key: Callable[[Any], Any]
    if len(compared) > 1:
        key = attrgetter(*compared)
    elif compared:
        only = compared[0]
        key = lambda self: (getattr(self, only),)
    else:
        key = lambda _self: ()
    if eq:
        def __eq__(self: Any, other: Any) -> Any:
            if other.__class__ is self.__class__:
                return key(self) == key(other)
            return NotImplemented

        install("__eq__", __eq__)
    if order:
        for name, op in (("__lt__", lt), ("__le__", le), ("__gt__", gt), ("__ge__", ge)):
            def compare(self: Any, other: Any, _op: Callable[[Any, Any], bool] = op) -> Any:
                if other.__class__ is self.__class__:
                    return _op(key(self), key(other))
                return NotImplemented

            install(name, compare)
    explicit_hash = "__hash__" in own and not (own["__hash__"] is None and "__eq__" in own)
    if frozen and eq and not explicit_hash:
        def __hash__(self: Any) -> int:
            return hash(key(self))

        cls.__hash__ = __hash__  # type: ignore[method-assign]
    if frozen:
        names = frozenset(specs)

        def __setattr__(self: Any, name: str, value: Any) -> None:
            if type(self) is cls or name in names:
                raise FrozenInstanceError(f"cannot assign to field {name!r}")
            super(cls, self).__setattr__(name, value)

        def __delattr__(self: Any, name: str) -> None:
            if type(self) is cls or name in names:
                raise FrozenInstanceError(f"cannot delete field {name!r}")
            super(cls, self).__delattr__(name)

        install("__setattr__", __setattr__)
        install("__delattr__", __delattr__)
    if eq and not frozen and not explicit_hash:
        cls.__hash__ = None  # type: ignore[assignment]  # mutable and comparable: unhashable
    setattr(cls, "__record_fields__", specs)  # noqa: B010 - not an attribute type checkers know
    setattr(cls, "__match_args__", tuple(specs))  # noqa: B010
    return cls

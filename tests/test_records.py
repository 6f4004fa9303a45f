"""dockslim._records behaves as the standard library's dataclasses on the same class definitions."""

from __future__ import annotations

import dataclasses
import pickle
from typing import ClassVar

import pytest

from dockslim import _records

LIBS = {"stdlib": dataclasses, "records": _records}


def define(lib, *, frozen=False, order=False):
    dc, field = lib.dataclass, lib.field

    @dc(frozen=frozen, order=order)
    class Base:
        a: int
        b: str = "b"

    @dc(frozen=frozen, order=order)
    class Point(Base):
        """A record with every kind of field."""

        kind: ClassVar[str] = "point"
        c: tuple = ()
        d: list = field(default_factory=list)
        e: int = field(default=5, repr=False, compare=False)

        @property
        def total(self) -> int:
            return self.a + len(self.c)

    return Point


def behaviour(lib, frozen, order):
    Point = define(lib, frozen=frozen, order=order)
    p, q = Point(1), Point(1, "b", (), [], 6)
    out = {
        "repr": repr(Point(2, "x", (1,), [2], 7)),
        "eq_ignores_compare_false": p == q,
        "eq_other_type": p == (1, "b", (), [], 5),
        "factory_fresh": p.d is not Point(1).d,
        "defaults": (p.b, p.c, p.d, p.e, Point.kind, p.total),
        "keywords": repr(Point(b="y", a=3, e=1)),
        "replace": repr(lib.replace(p, c=(9,), e=8)),
        "fields": [f.name for f in lib.fields(p)],
        "match_args": Point.__match_args__,
        "hashable": Point.__hash__ is not None,
    }
    if Point.__hash__ is not None:
        try:  # a list field makes the instance unhashable in both
            out["hash_equal"] = hash(Point(1, "b", (1,))) == hash(Point(1, "b", (1,), [], 99))
        except TypeError as exc:
            out["hash_equal"] = str(exc)
        out["hash_tuple_fields"] = hash(Point(1, "b", (1,), None)) == hash(Point(1, "b", (1,), None, 4))
    if frozen:
        with pytest.raises(AttributeError) as exc:
            p.a = 3
        out["frozen"] = (type(exc.value).__name__, str(exc.value))
        with pytest.raises(AttributeError):
            del p.b
    else:
        p.a = 3
        out["mutable"] = p.a
    if order:
        out["order"] = (Point(1) < Point(2), Point(1, "a") <= Point(1, "b"), Point(3) > Point(2),
                        sorted([Point(3), Point(1), Point(2)])[0].a)
    try:
        _ = Point(1) < Point(2)
        out["lt"] = "ok"
    except TypeError:
        out["lt"] = "TypeError"
    return out


@pytest.mark.parametrize("frozen", [False, True])
@pytest.mark.parametrize("order", [False, True])
def test_same_behaviour_as_the_standard_library(frozen, order):
    assert behaviour(_records, frozen, order) == behaviour(dataclasses, frozen, order)


def test_errors_at_definition_match():
    for lib in LIBS.values():
        with pytest.raises(TypeError):
            @lib.dataclass
            class Bad:
                a: int = 1
                b: int
        with pytest.raises(ValueError):
            @lib.dataclass
            class Mutable:
                a: list = []


def test_methods_the_class_defines_win():
    @_records.dataclass(frozen=True)
    class Custom:
        a: int

        def __repr__(self) -> str:
            return "custom"

    assert repr(Custom(1)) == "custom" and Custom(1) == Custom(1)


@_records.dataclass(frozen=True)
class _Pickled:
    a: int
    b: tuple = ()


def test_frozen_records_pickle_for_worker_processes():
    value = _Pickled(1, (2,))
    assert pickle.loads(pickle.dumps(value)) == value

"""Which stage a stage is built FROM: one answer (Dockerfile.stage_parents), asked by every pass."""

from dockslim.syntax import parse


def test_from_an_earlier_stage_by_name_any_case():
    df = parse("FROM debian AS Base\nFROM base AS app\nFROM python\nFROM APP\n")
    assert df.stage_parents() == {1: 0, 3: 1}
    assert df.stage_children() == {0: [1], 1: [3]}


def test_a_later_stage_of_that_name_is_an_image_not_a_parent():
    df = parse("FROM later\nFROM debian AS later\n")
    assert df.stage_parents() == {}
    assert df.stage_children() == {}


def test_an_image_or_scratch_is_no_parent():
    df = parse("FROM scratch AS scratchy\nFROM python:3.11 AS py\nFROM alpine\n")
    assert df.stage_parents() == {}

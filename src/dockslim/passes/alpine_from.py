"""The FROM side of the `alpine-base` pass: global ARG defaults, the image reference as written (with
its variables), the edit that switches it, and the stages built on a switched one."""

from __future__ import annotations

import re

from ..syntax import Dockerfile, Instruction, Stage
from ..syntax.expand import ExpandError, expand
from .alpine_data import ImageRef, Refusal, TagMapping, split_tag
from .base import Context, Edit


def _global_args(df: Dockerfile) -> tuple[dict[str, str], dict[str, Instruction]]:
    env: dict[str, str] = {}
    decls: dict[str, Instruction] = {}
    seen: dict[str, int] = {}
    for ins in df.global_args():
        for word in ins.value:
            name, _, default = word.partition("=")
            seen[name] = seen.get(name, 0) + 1
            if "=" in word:
                try:
                    env[name] = expand(default, env, df.escape)
                except ExpandError:
                    continue
                decls[name] = ins
    for name, count in seen.items():  # declared twice: which default applies is not ours to guess
        if count > 1:
            decls.pop(name, None)
    return env, decls


def _whole_variable(text: str) -> str | None:
    m = re.fullmatch(r"\$(\w+)|\$\{(\w+)\}", text)
    return (m.group(1) or m.group(2)) if m else None


def _references(text: str, var: str) -> bool:
    return bool(re.search(r"\$(\{)?" + re.escape(var) + r"\b", text))


def _resolve(base: str, env: dict[str, str]) -> str | None:
    if "$" not in base:
        return base
    try:
        out = expand(base, env)
    except ExpandError:
        return None
    return out or None


def _new_ref(ref: ImageRef, mapping: TagMapping) -> str:
    name = mapping.name or ref.name
    return f"{ref.prefix}{name}:{mapping.tag}"


def _arg_default_edit(ins: Instruction, var: str, expanded: str, new_ref: str) -> Edit:
    args = ins.args
    m = re.search(r"(?:^|\s)" + re.escape(var) + r"=(\"?)([^\s\"'$]+)\1(?=\s|$)", args)
    if m is None or m.group(2) != expanded:
        raise Refusal(f"the default of ARG {var} on line {ins.start_line} is not a plain word")
    s, e = ins.source_map.to_file_span(ins.args_start + m.start(2), ins.args_start + m.end(2))
    return Edit(s, e, new_ref)


def _split_outside_braces(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(0, depth - 1)
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _from_edit(stage: Stage, ref: ImageRef, mapping: TagMapping, env: dict[str, str]) -> Edit:
    ins = stage.from_
    raw = stage.base
    if not ins.args.startswith(raw):
        raise Refusal(f"line {ins.start_line}: the FROM image is written in a form this pass cannot edit")
    if "$" not in raw:
        new = _new_ref(ref, mapping)
    else:
        pieces = _split_outside_braces(raw, ":")
        if len(pieces) < 2 or "$" in pieces[-1] and mapping.name is not None:
            raise Refusal(f"line {ins.start_line}: the image name is built from variables")
        image_raw, tag_raw = ":".join(pieces[:-1]), pieces[-1]
        if "/" in tag_raw or "@" in tag_raw:
            raise Refusal(f"line {ins.start_line}: the tag is built from variables in a way this pass cannot follow")
        raw_tokens = _split_outside_braces(tag_raw, "-")
        try:
            expanded_tokens = [expand(t, env) for t in raw_tokens]
        except ExpandError:
            raise Refusal(f"line {ins.start_line}: the tag's variables cannot be expanded") from None
        if expanded_tokens != split_tag(ref.tag or "") or "$" in image_raw and mapping.name:
            raise Refusal(f"line {ins.start_line}: the tag is built from variables in a way this pass cannot follow")
        kept = {i for _, i in mapping.tokens if i is not None}
        for i, t in enumerate(raw_tokens):
            if "$" in t and i not in kept:
                raise Refusal(f"line {ins.start_line}: the variable part `{t}` of the tag would be dropped")
        tag = "-".join(raw_tokens[i] if i is not None else t for t, i in mapping.tokens)
        new = f"{image_raw}:{tag}"
    s, e = ins.source_map.to_file_span(ins.args_start, ins.args_start + len(raw))
    return Edit(s, e, new)


def _lineage(ctx: Context, roots: list[Stage], children: dict[int, list[int]]) -> list[Stage]:
    stages = ctx.dockerfile.stages()
    out: list[Stage] = []
    todo = [r.index for r in roots]
    while todo:
        i = todo.pop(0)
        out.append(stages[i])
        todo.extend(children.get(i, []))
    return sorted(out, key=lambda s: s.index)

"""Rewrite cookiecutter Jinja for copier: ``{{ cookiecutter.x }}`` becomes ``{{ x }}``.

Only the code inside ``{{ }}`` and ``{% %}`` tags is touched (text, comments, string literals and
``{% raw %}`` sections are kept byte for byte). Cookiecutter's built-in extensions are mapped where
copier has an exact equivalent (``jsonify`` becomes ``to_json``, ``{% now 'local' %}`` becomes the
``strftime`` filter); everything else is refused with :class:`InvalidInputError` before a file is written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from jinja2 import TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from .errors import InvalidInputError

_CODE = re.compile(
    r"""(?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    |(?P<item>\bcookiecutter\s*\[\s*(?P<q>["'])(?P<iname>[^"'\\]*)(?P=q)\s*\])
    |(?P<attr>\bcookiecutter\s*\.\s*(?P<aname>\w+))
    |(?P<bare>\bcookiecutter\b)
    |(?P<jsonify>\|\s*jsonify\b(?:\s*\(\s*(?P<indent>[^()]*?)\s*\))?)""",
    re.VERBOSE | re.DOTALL,
)
_NOW = re.compile(r"^(?P<lead>[-+]?)\s*now\s+(?P<args>.*?)\s*(?P<trail>[-+]?)$", re.DOTALL)
_INCLUDE = re.compile(
    r"""^(?P<head>[-+]?\s*(?:include|extends|import|from)\s+)(?P<q>["'])(?P<path>[^"'\\]+)(?P=q)(?P<rest>.*)$""",
    re.DOTALL,
)
_RAW = re.compile(r"^[-+]?\s*raw\s*[-+]?$")
_UNSUPPORTED_CALLS = {
    "random_ascii_string": "cookiecutter's random_ascii_string() (copier has no random-string function)",
    "uuid4": "cookiecutter's uuid4() (copier has no random UUID function)",
}
_RANDOM_FIX = "Make the value a variable in cookiecutter.json (a question the user answers)"
_UNSUPPORTED_FILTERS = {"slugify": "cookiecutter's slugify filter (copier has no slugify)"}
_SLUGIFY_FIX = "Use plain filters instead, e.g. | lower | replace(' ', '-')"
_TEMPLATE_NODES = (nodes.Include, nodes.Extends, nodes.Import, nodes.FromImport)


@dataclass
class JinjaConverter:
    """Converts one template's Jinja text; collects what it mapped and what it could only approximate."""

    names: Mapping[str, str]
    envops: Mapping[str, Any] = field(default_factory=dict)
    resolve: Callable[[str], str | None] = lambda _name: None
    mapped: set[str] = field(default_factory=set)
    warnings: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        ops = {k: v for k, v in self.envops.items() if k != "newline_sequence"}
        self._env = SandboxedEnvironment(
            extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
            keep_trailing_newline=True,
            **ops,
        )
        self.var = (self._env.variable_start_string, self._env.variable_end_string)
        self.block = (self._env.block_start_string, self._env.block_end_string)
        self.comment = (self._env.comment_start_string, self._env.comment_end_string)

    def convert(self, text: str, where: str) -> str:
        """``text`` with cookiecutter references rewritten; refuses what copier cannot render the same."""
        result = "".join(self._pieces(text, where))
        self._validate(result, where)
        return result

    def _pieces(self, text: str, where: str) -> Iterator[str]:
        openers = sorted({self.var[0], self.block[0], self.comment[0]}, key=len, reverse=True)
        start = re.compile("|".join(re.escape(o) for o in openers))
        pos = 0
        while match := start.search(text, pos):
            yield text[pos : match.start()]
            opener = match.group()
            if opener == self.comment[0]:
                pos = _find_or_end(text, self.comment[1], match.end())
                yield text[match.start() : pos]
                continue
            closer = self.var[1] if opener == self.var[0] else self.block[1]
            end = _tag_end(text, match.end(), closer)
            code = text[match.end() : end]
            pos = end + len(closer)
            if opener == self.block[0] and _RAW.match(code):
                raw_end = re.compile(
                    re.escape(self.block[0]) + r"[-+]?\s*endraw\s*[-+]?" + re.escape(self.block[1])
                ).search(text, pos)
                pos = raw_end.end() if raw_end else len(text)
                yield text[match.start() : pos]
            elif opener == self.block[0] and (now := _NOW.match(code)):
                yield self._now(now, where)
            elif opener == self.block[0] and (include := _INCLUDE.match(code)):
                yield opener + self._include(include, where) + closer
            else:
                yield opener + self._code(code, where) + closer
        yield text[pos:]

    def _code(self, code: str, where: str) -> str:
        def replace(m: re.Match[str]) -> str:
            if m.group("str"):
                return m.group()
            if m.group("jsonify"):
                self.mapped.add("the jsonify filter became to_json(sort_keys=True, indent=…)")
                return f"| to_json(sort_keys=True, indent={m.group('indent') or 4})"
            name = m.group("iname") if m.group("item") else m.group("aname")
            if name is None:
                raise _unsupported(
                    where, "uses the whole `cookiecutter` dictionary", "Name the variables one by one"
                )
            if name not in self.names:
                raise _unsupported(
                    where,
                    f"refers to cookiecutter.{name}, which cookiecutter.json does not define",
                    "Define it in cookiecutter.json or remove the reference",
                )
            return self.names[name]

        return _CODE.sub(replace, code)

    def _include(self, match: re.Match[str], where: str) -> str:
        """Point ``{% include 'x' %}`` at the module's copy of x (found in . or ../templates)."""
        path = match.group("path")
        target = self.resolve(path)
        if target is None:
            raise _unsupported(
                where,
                f"includes {path!r}, which is not a rendered file of the template or of ../templates",
                "Include a rendered file of the template folder or of the templates/ folder beside it",
            )
        self.mapped.add("{% include %} and {% import %} point at the module's copies of those files")
        return match.group("head") + json.dumps(target) + self._code(match.group("rest"), where)

    def _now(self, match: re.Match[str], where: str) -> str:
        """``{% now 'local', '%Y' %}`` (cookiecutter's TimeExtension) as ``{{ '%Y' | strftime }}``."""
        args = self._parse_expression(match.group("args"), where)
        items = args.items if isinstance(args, nodes.Tuple) else [args]
        consts = [i.value if isinstance(i, nodes.Const) and isinstance(i.value, str) else None for i in items]
        if not 1 <= len(items) <= 2 or None in consts:  # noqa: PLR2004  (timezone and optional format)
            raise _unsupported(
                where, "uses {% now %} with an offset or computed arguments", "Use {% now 'local', '%Y' %}"
            )
        zone, fmt = consts[0], (consts[1] if len(consts) == 2 else "%Y-%m-%d")  # noqa: PLR2004
        if str(zone).lower() not in {"local", "utc"}:
            raise _unsupported(where, f"uses {{% now {zone!r} %}}", "Use 'local' or 'utc' as the time zone")
        if str(zone).lower() == "utc":
            self.warnings.append(f"{where}: {{% now 'utc' %}} renders in the local time zone under copier")
        self.mapped.add("{% now %} became the strftime filter")
        lead = "-" if match.group("lead") == "-" else ""
        trail = "-" if match.group("trail") == "-" else ""
        return f"{self.var[0]}{lead} {json.dumps(fmt)} | strftime {trail}{self.var[1]}"

    def _parse_expression(self, source: str, where: str) -> nodes.Expr:
        try:
            template = self._env.parse(f"{self.var[0]} {source} {self.var[1]}")
        except TemplateSyntaxError as exc:
            raise _unsupported(where, f"has a {{% now %}} tag that cannot be read: {exc.message}") from exc
        output = template.body[0]
        assert isinstance(output, nodes.Output)  # noqa: S101  (one variable tag parses to one Output)
        return output.nodes[0]

    def _validate(self, text: str, where: str) -> None:
        try:
            tree = self._env.parse(text)
        except TemplateSyntaxError as exc:
            raise InvalidInputError(
                f"{where}: Jinja syntax error on line {exc.lineno}: {exc.message}",
                "Fix the cookiecutter template (cookiecutter cannot render it either), then import again.",
            ) from exc
        for node in tree.find_all(_TEMPLATE_NODES):
            if not isinstance(getattr(node, "template", None), nodes.Const):
                raise _unsupported(
                    where, "includes or imports a file whose name is computed", "Name the file"
                )
        for flt in tree.find_all(nodes.Filter):
            self._check_filter(flt.name, where)
        for call in tree.find_all(nodes.Call):
            if isinstance(call.node, nodes.Name) and call.node.name in _UNSUPPORTED_CALLS:
                raise _unsupported(where, f"calls {_UNSUPPORTED_CALLS[call.node.name]}", _RANDOM_FIX)

    def _check_filter(self, name: str, where: str) -> None:
        if name in self._env.filters:
            return
        what = _UNSUPPORTED_FILTERS.get(name, f"the filter {name!r}, which copier does not have")
        raise _unsupported(where, f"uses {what}", _SLUGIFY_FIX if name in _UNSUPPORTED_FILTERS else "")


def _unsupported(where: str, what: str, fix: str = "") -> InvalidInputError:
    return InvalidInputError(
        f"{where} {what}: not converted",
        f"{fix or 'Change the cookiecutter template so it does not need this'}, then import again.",
    )


def _find_or_end(text: str, needle: str, start: int) -> int:
    found = text.find(needle, start)
    return len(text) if found < 0 else found + len(needle)


def _tag_end(text: str, pos: int, closer: str) -> int:
    """Index of ``closer`` ending the tag that starts at ``pos``, skipping quoted strings."""
    quote = ""
    i = pos
    while i < len(text):
        char = text[i]
        if quote:
            if char == "\\":
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
        elif text.startswith(closer, i):
            return i
        i += 1
    return len(text)


def has_jinja(value: str, converter: JinjaConverter) -> bool:
    """Whether ``value`` contains a Jinja tag or comment (so cookiecutter would render it)."""
    return any(opener in value for opener in (converter.var[0], converter.block[0], converter.comment[0]))


def raw(value: str, converter: JinjaConverter) -> str:
    """``value`` protected from rendering (for cookiecutter's private variables, which it never renders)."""
    if not has_jinja(value, converter):
        return value
    start, end = converter.block
    return f"{start} raw {end}{value}{start} endraw {end}"


def _string_template(value: str, converter: JinjaConverter, where: str) -> str:
    """A template whose output is ``value`` rendered and JSON-quoted."""
    if not has_jinja(value, converter):
        return json.dumps(value)
    start, end = converter.block
    return f"{start} filter tojson {end}{converter.convert(value, where)}{start} endfilter {end}"


def json_template(value: Any, converter: JinjaConverter, where: str) -> str:
    """JSON text for ``value`` in which copier renders every templated string.

    Cookiecutter renders the keys and values of dict and list variables, turning numbers into strings;
    the spaces inside brackets keep ``{`` from meeting a following ``{%`` as a ``{{``.
    """
    if isinstance(value, dict):
        items = (
            f"{_string_template(str(k), converter, where)}: {json_template(v, converter, where)}"
            for k, v in value.items()
        )
        return "{ " + ", ".join(items) + " }"
    if isinstance(value, list):
        return "[ " + ", ".join(json_template(v, converter, where) for v in value) + " ]"
    if value is None or isinstance(value, bool):
        return json.dumps(value)
    return _string_template(str(value), converter, where)

"""Alert texts: one ``string.Template`` file per event, ``Subject: ...``, a blank line, then the body.

The shipped files are in ``templates/``; ``TEMPLATES_DIR`` replaces any of them with a file of the same
name. Each template is checked at start-up against the placeholders its event provides, so a typo
(``$request`` for ``$request_id``) stops the service with one line instead of failing at 3 a.m.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from string import Template

from ._events import FIELDS, Alert

SHIPPED = Path(__file__).parent / "templates"


class TemplateError(ValueError):
    """A template file is missing, malformed or uses a placeholder its event does not provide."""


@dataclass(frozen=True)
class Message:
    """A rendered alert."""

    event: str
    subject: str
    body: str


@dataclass(frozen=True)
class _Parsed:
    subject: Template
    body: Template


def _parse(path: Path, event: str) -> _Parsed:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"cannot read the {event} template {path}: {exc}") from exc
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:") or not body.startswith("\n"):
        msg = f"{path}: start with a 'Subject: ...' line, then a blank line, then the body"
        raise TemplateError(msg)
    parsed = _Parsed(Template(first.removeprefix("Subject:").strip()), Template(body.lstrip("\n")))
    sample = dict.fromkeys(FIELDS[event], "x")
    for part in (parsed.subject, parsed.body):
        try:
            part.substitute(sample)
        except KeyError as exc:
            msg = f"{path}: unknown placeholder ${exc.args[0]}; {event} provides {', '.join(FIELDS[event])}"
            raise TemplateError(msg) from None
        except ValueError as exc:
            raise TemplateError(f"{path}: {exc} (write $$ for a literal $)") from None
    return parsed


class Templates:
    """The template of every event, loaded and checked once."""

    def __init__(self, events: tuple[str, ...] | list[str], directory: Path | None = None) -> None:
        self._parsed = {}
        for event in events:
            override = directory / f"{event}.txt" if directory is not None else None
            path = override if override is not None and override.exists() else SHIPPED / f"{event}.txt"
            self._parsed[event] = _parse(path, event)

    def render(self, alert: Alert) -> Message:
        """The alert's subject (one line) and body; newlines in values never reach the subject."""
        parsed = self._parsed[alert.event]
        subject = " ".join(parsed.subject.substitute(alert.fields).split())
        return Message(alert.event, subject[:200], parsed.body.substitute(alert.fields))

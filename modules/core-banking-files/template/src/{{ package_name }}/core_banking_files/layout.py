"""Record layouts in a COBOL-copybook-like file, and the decoding of each field.

A layout names the fields of one record in order, with their COBOL picture and usage::

      * Monthly balances export (comment lines start with '*', also in column 7)
       01  BALANCE-RECORD.
           05  ACCOUNT-ID       PIC X(10).
           05  BRANCH           PIC 9(4).
           05  BALANCE          PIC S9(9)V99 COMP-3.
           05  INTEREST-RATE    PIC S9(3)V9(4).
           05  FILLER           PIC X(2).

Pictures: ``X(n)`` text, ``9(n)`` unsigned digits, ``S9(n)`` signed, ``V`` the implied decimal point
(``9(7)V99``, ``S9(5)V9(2)``; repeated letters like ``999`` or ``XX`` work too). Usage: ``DISPLAY`` (the
default: text, or zoned decimal for numbers, the sign overpunched on the last digit) or ``COMP-3`` /
``PACKED-DECIMAL`` (two digits a byte, the sign in the last half-byte). ``FILLER`` fields are skipped.
Anything else (``OCCURS``, ``REDEFINES``, ``COMP``, level 88) is refused with its line number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

_PIC = re.compile(r"^(S)?((?:[9X]\(\d+\)|[9X])+)(?:V((?:9\(\d+\)|9)+))?$")
_STATEMENT = re.compile(
    r"^(?P<level>\d{2})\s+(?P<name>[A-Z0-9][A-Z0-9-]*)"
    r"(?:\s+PIC(?:TURE)?\s+(?:IS\s+)?(?P<pic>\S+?))?(?:\s+(?:USAGE\s+(?:IS\s+)?)?(?P<usage>COMP-3|PACKED-DECIMAL|DISPLAY))?$"
)
_RUN = re.compile(r"([9X])(?:\((\d+)\))?")
ZONED_POSITIVE = "{ABCDEFGHI"  # ASCII overpunch of the last digit: +0..+9
ZONED_NEGATIVE = "}JKLMNOPQR"  # -0..-9


class LayoutError(ValueError):
    """The layout file cannot be used; the message names the line and the fix."""


class FieldError(ValueError):
    """A field's bytes are not what its picture says; ``reason`` is the quarantine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason


@dataclass(frozen=True)
class Field:
    """One field: its name, kind (``text``/``number``), size in digits or characters, and usage."""

    name: str
    kind: str
    digits: int  # characters for text; integer + decimal digits for numbers
    scale: int = 0
    signed: bool = False
    packed: bool = False

    @property
    def length(self) -> int:
        """Bytes the field takes in a fixed-width record."""
        return self.digits // 2 + 1 if self.packed else self.digits

    @property
    def filler(self) -> bool:
        return self.name == "FILLER"


@dataclass(frozen=True)
class Layout:
    """The fields of one record type."""

    name: str
    fields: tuple[Field, ...]

    @property
    def record_length(self) -> int:
        return sum(f.length for f in self.fields)

    @property
    def binary(self) -> bool:
        """Whether a record holds packed (binary) fields: such files have no line separators."""
        return any(f.packed for f in self.fields)

    def field(self, name: str) -> Field:
        for candidate in self.fields:
            if candidate.name == name and not candidate.filler:
                return candidate
        names = ", ".join(f.name for f in self.fields if not f.filler)
        raise LayoutError(f"the layout {self.name} has no field {name}; its fields: {names}")


def _count(runs: str) -> int:
    return sum(int(n) if n else 1 for _, n in _RUN.findall(runs))


def _field(name: str, pic: str, usage: str | None, where: str) -> Field:
    match = _PIC.match(pic)
    if match is None:
        raise LayoutError(f"{where}: PIC {pic} is not supported; use X(n), 9(n), S9(n) or S9(n)V9(m)")
    sign, whole, decimals = match.groups()
    letters = {letter for letter, _ in _RUN.findall(whole)}
    packed = usage in {"COMP-3", "PACKED-DECIMAL"}
    if "X" in letters:
        if letters != {"X"} or sign or decimals or packed:
            raise LayoutError(f"{where}: PIC {pic} mixes text and numbers; split it into two fields")
        return Field(name, "text", _count(whole))
    scale = _count(decimals) if decimals else 0
    digits = _count(whole) + scale
    if digits > 31:  # noqa: PLR2004 (COBOL's limit)
        raise LayoutError(f"{where}: PIC {pic} has {digits} digits; COBOL numbers have at most 31")
    return Field(name, "number", digits, scale, signed=bool(sign), packed=packed)


def _statements(text: str, source: str) -> list[tuple[int, str]]:
    """The period-terminated statements of ``text`` with their first line, comments and sequence area dropped."""
    statements: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw[6:] if len(raw) > 6 and raw[:6].isdigit() else raw  # noqa: PLR2004 (sequence area)
        stripped = line.strip()
        if not stripped or stripped.startswith("*") or (len(raw) > 6 and raw[6] == "*"):  # noqa: PLR2004
            continue
        if not pending:
            start = number
        pending.append(stripped)
        if stripped.endswith("."):
            statements.append((start, " ".join(pending)[:-1].strip().upper()))
            pending = []
    if pending:
        raise LayoutError(f"{source}:{start}: the statement does not end with a period")
    if not statements:
        raise LayoutError(f"{source}: no record found; start with '01  RECORD-NAME.' and one line per field")
    return statements


def parse_layout(text: str, source: str = "layout") -> Layout:
    """The layout described by ``text``; :class:`LayoutError` names the first problem and its line."""
    record, fields = "", []
    for number, statement in _statements(text, source):
        where = f"{source}:{number}"
        match = _STATEMENT.match(" ".join(statement.split()))
        if match is None:
            raise LayoutError(f"{where}: cannot read '{statement}'; write 'NN  NAME  PIC ...  [COMP-3].'")
        level, name, pic, usage = match.group("level", "name", "pic", "usage")
        if level == "01":
            if record:
                raise LayoutError(f"{where}: a second record ({name}); put one record per layout file")
            record = name
            continue
        if not record:
            raise LayoutError(f"{where}: a field before the '01' record line")
        if pic is None:
            raise LayoutError(f"{where}: {name} has no PIC; group items are not supported, list the fields")
        fields.append(_field(name, pic, usage, where))
    named = [f.name for f in fields if not f.filler]
    duplicated = sorted({n for n in named if named.count(n) > 1})
    if duplicated:
        raise LayoutError(f"{source}: fields named twice: {', '.join(duplicated)}")
    if not named:
        raise LayoutError(f"{source}: the record {record} has no fields")
    return Layout(record, tuple(fields))


def load_layout(path: Path) -> Layout:
    """Read and parse a layout file (ASCII or UTF-8)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise LayoutError(f"cannot read the layout {path}: {exc}") from exc
    return parse_layout(text, str(path))


def is_ebcdic(encoding: str) -> bool:
    """Whether ``encoding`` is an EBCDIC code page (digits are 0xF0-0xF9)."""
    return "0".encode(encoding) == b"\xf0"


def unpack_decimal(data: bytes, field: Field) -> Decimal:
    """A COMP-3 value: two digits a byte, the last half-byte the sign (C or F positive, D negative)."""
    nibbles = [n for byte in data for n in (byte >> 4, byte & 0x0F)]
    *digits, sign = nibbles
    if any(d > 9 for d in digits) or sign not in {0x0C, 0x0D, 0x0F}:  # noqa: PLR2004
        raise FieldError("bad_packed_decimal", f"{field.name}: {data.hex()} is not a packed decimal")
    if sign == 0x0D and not field.signed:  # noqa: PLR2004
        raise FieldError("bad_packed_decimal", f"{field.name}: negative value in an unsigned field")
    value = int("".join(map(str, digits[-field.digits :])) or "0")
    return Decimal(-value if sign == 0x0D else value).scaleb(-field.scale)  # noqa: PLR2004


def unzone(data: bytes, field: Field, encoding: str) -> Decimal:
    """A DISPLAY number (zoned decimal): one digit a byte; a signed field overpunches the last digit."""
    negative = False
    if is_ebcdic(encoding):
        zones = [b >> 4 for b in data]
        digits = [b & 0x0F for b in data]
        last = zones[-1]
        if any(z != 0x0F for z in zones[:-1]) or any(d > 9 for d in digits):  # noqa: PLR2004
            raise FieldError("not_numeric", f"{field.name}: {data.hex()} is not zoned decimal (PIC 9)")
        if last in {0x0C, 0x0D} and field.signed:
            negative = last == 0x0D  # noqa: PLR2004
        elif last != 0x0F:  # noqa: PLR2004
            raise FieldError("bad_zoned_decimal", f"{field.name}: bad sign half-byte {last:X} in {data.hex()}")
        text = "".join(map(str, digits))
    else:
        try:
            text = data.decode("ascii")
        except UnicodeDecodeError:
            raise FieldError("not_numeric", f"{field.name}: non-ASCII bytes {data.hex()} in PIC 9") from None
        if field.signed and text and not text[-1].isdigit():
            overpunch = text[-1]
            if overpunch in ZONED_POSITIVE:
                text = text[:-1] + str(ZONED_POSITIVE.index(overpunch))
            elif overpunch in ZONED_NEGATIVE:
                text, negative = text[:-1] + str(ZONED_NEGATIVE.index(overpunch)), True
            else:
                raise FieldError("bad_zoned_decimal", f"{field.name}: bad sign character {overpunch!r}")
        if not text.isdigit() or not text.isascii():
            raise FieldError("not_numeric", f"{field.name}: {text!r} is not a number (PIC 9)")
    value = Decimal(int(text)).scaleb(-field.scale)
    return -value if negative else value


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def text_value(text: str, field: Field) -> str:
    """A text field's value, right spaces trimmed; control characters mean the encoding is wrong."""
    if _CONTROL.search(text):
        raise FieldError("bad_encoding", f"{field.name}: control characters (is the file in another encoding?)")
    return text.rstrip(" ")


def decode_fixed(record: bytes, layout: Layout, encoding: str) -> dict[str, str | Decimal]:
    """One fixed-width record's values by field name (FILLER skipped); :class:`FieldError` if one is bad."""
    values: dict[str, str | Decimal] = {}
    offset = 0
    for field in layout.fields:
        data = record[offset : offset + field.length]
        offset += field.length
        if field.filler:
            continue
        if field.kind == "text":
            try:
                text = data.decode(encoding)
            except UnicodeDecodeError:
                raise FieldError("bad_encoding", f"{field.name}: bytes that are not {encoding}") from None
            values[field.name] = text_value(text, field)
        elif field.packed:
            values[field.name] = unpack_decimal(data, field)
        else:
            values[field.name] = unzone(data, field, encoding)
    return values


_DECIMAL_TEXT = re.compile(r"^([+-]?)(\d*)(?:[.,](\d*))?$")


def parse_text_number(text: str, field: Field) -> Decimal:
    """A number in a CSV cell, checked against the picture: sign, integer digits and decimals."""
    match = _DECIMAL_TEXT.match(text.strip())
    if match is None or not (match.group(2) or match.group(3)):
        raise FieldError("not_numeric", f"{field.name}: {text!r} is not a number (PIC 9)")
    sign, whole, fraction = match.group(1), match.group(2).lstrip("0"), (match.group(3) or "").rstrip("0")
    if sign == "-" and not field.signed:
        raise FieldError("not_numeric", f"{field.name}: negative value in an unsigned field")
    if len(whole) > field.digits - field.scale or len(fraction) > field.scale:
        raise FieldError("out_of_range", f"{field.name}: {text!r} does not fit the picture")
    return Decimal(f"{sign}{whole or '0'}.{fraction or '0'}")

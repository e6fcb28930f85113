"""Generated core-banking exports for the tests: a layout, encoders for zoned and packed decimals, and
writers for fixed-width (EBCDIC or ASCII), line and CSV files, so every defect can be put in on purpose."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

LAYOUT = """\
      * Monthly account export used by the tests.
       01  ACCOUNT-RECORD.
           05  ACCOUNT-ID        PIC X(10).
           05  BRANCH            PIC 9(4).
           05  BALANCE           PIC S9(9)V99 COMP-3.
           05  ARREARS-DAYS      PIC 9(3).
           05  INTEREST-ACCRUED  PIC S9(5)V99.
           05  STATUS-CODE       PIC X(2).
           05  FILLER            PIC X(4).
"""
RECORD_LENGTH = 10 + 4 + 6 + 3 + 7 + 2 + 4
TEXT_LAYOUT = LAYOUT.replace(" COMP-3", "")  # every field DISPLAY: for line files
TEXT_RECORD_LENGTH = 10 + 4 + 11 + 3 + 7 + 2 + 4
POSITIVE, NEGATIVE = "{ABCDEFGHI", "}JKLMNOPQR"


def pack(value: Decimal, digits: int, scale: int) -> bytes:
    """COMP-3: the digits, then the sign half-byte (C positive, D negative), padded to whole bytes."""
    number = int(abs(value).scaleb(scale))
    text = f"{number:0{digits}d}"
    if len(text) % 2 == 0:
        text = "0" + text
    nibbles = [int(c) for c in text] + [0x0D if value < 0 else 0x0C]
    return bytes(nibbles[i] << 4 | nibbles[i + 1] for i in range(0, len(nibbles), 2))


def zoned(value: Decimal, digits: int, scale: int, encoding: str, *, signed: bool) -> bytes:
    """DISPLAY number: EBCDIC zones F (last C/D when signed), or ASCII with an overpunched last digit."""
    text = f"{int(abs(value).scaleb(scale)):0{digits}d}"
    if "0".encode(encoding) == b"\xf0":
        data = bytearray(0xF0 | int(c) for c in text)
        if signed:
            data[-1] = (0xD0 if value < 0 else 0xC0) | int(text[-1])
        return bytes(data)
    if signed:
        text = text[:-1] + (NEGATIVE if value < 0 else POSITIVE)[int(text[-1])]
    return text.encode("ascii")


@dataclass(frozen=True)
class Account:
    account_id: str
    branch: int
    balance: Decimal
    arrears_days: int
    interest: Decimal
    status: str

    def fixed(self, encoding: str, *, packed: bool = True) -> bytes:
        balance = pack(self.balance, 11, 2) if packed else zoned(self.balance, 11, 2, encoding, signed=True)
        return (
            self.account_id.ljust(10).encode(encoding)
            + zoned(Decimal(self.branch), 4, 0, encoding, signed=False)
            + balance
            + zoned(Decimal(self.arrears_days), 3, 0, encoding, signed=False)
            + zoned(self.interest, 7, 2, encoding, signed=True)
            + self.status.ljust(2).encode(encoding)
            + b"".ljust(4, " ".encode(encoding))
        )

    def csv(self) -> str:
        return f"{self.account_id},{self.branch},{self.balance},{self.arrears_days},{self.interest},{self.status}"


CSV_HEADER = "ACCOUNT-ID,BRANCH,BALANCE,ARREARS-DAYS,INTEREST-ACCRUED,STATUS-CODE"


def accounts(count: int, start: int = 0) -> list[Account]:
    """``count`` distinct, valid accounts (negative balances and interest among them)."""
    return [
        Account(
            f"ACC{n:07d}",
            n % 9000 + 1,
            Decimal(((n * 7919) % 2_000_000) - 500_000) / 100,
            n % 120,
            Decimal((n * 31) % 90_000 - 10_000) / 100,
            "OK" if n % 3 else "AR",
        )
        for n in range(start, start + count)
    ]


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path

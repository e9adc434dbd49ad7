"""The DocumentId of an edXML packet: `{senderCode},{yyyy/MM/dd},{number}/{notation}`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from envelopes.dates import format_date

_STRICT_DATE = re.compile(r"(\d{4})/(\d{2})/(\d{2})")
_SENDER = re.compile(r"[^\s,/]+")
_NUMBER = re.compile(r"[^\s,/]+")


class DocumentIdError(ValueError):
    """A text that is not a well-formed DocumentId; the message says which part is wrong."""


@dataclass(frozen=True, slots=True)
class DocumentId:
    """Identity of a document across the axis: who sent it, on which day, under which code.

    Example: `000.00.00.G22,2018/09/20,7816/VPCP-TTDT` is document 7816/VPCP-TTDT that the
    Government Office (000.00.00.G22) sent on 20 September 2018.
    """

    sender: str
    """Organization code of the sending agency."""
    day: date
    """Promulgation day of the document."""
    number: str
    """CodeNumber of the document (e.g. `7816`)."""
    notation: str
    """CodeNotation of the document (e.g. `VPCP-TTDT`); may itself contain `/`."""

    def __post_init__(self) -> None:
        # A DocumentId built in code must print to a text that parses back to itself.
        if not _SENDER.fullmatch(self.sender):
            raise DocumentIdError(
                f"sender code {self.sender!r} must be non-empty, without , / or spaces"
            )
        if not _NUMBER.fullmatch(self.number):
            raise DocumentIdError(
                f"number {self.number!r} must be non-empty, without , / or spaces"
            )
        if (
            not self.notation.strip()
            or self.notation != self.notation.strip()
            or "," in self.notation
        ):
            raise DocumentIdError(
                f"notation {self.notation!r} must be non-empty, without a comma or outer spaces"
            )

    @classmethod
    def parse(cls, text: str) -> DocumentId:
        """Read a DocumentId; the error message names the part that is wrong."""
        parts = text.strip().split(",")
        if len(parts) != 3:
            raise DocumentIdError(
                f"{text!r} has {len(parts)} comma-separated parts; a DocumentId has three: "
                "{senderCode},{yyyy/MM/dd},{number}/{notation}"
            )
        sender, day_text, code = (part.strip() for part in parts)
        match = _STRICT_DATE.fullmatch(day_text)
        if match is None:
            raise DocumentIdError(f"the date {day_text!r} in DocumentId {text!r} is not yyyy/MM/dd")
        try:
            day = date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as error:
            raise DocumentIdError(
                f"the date {day_text!r} in DocumentId {text!r} is not a real date"
            ) from error
        number, slash, notation = code.partition("/")
        if not slash:
            raise DocumentIdError(
                f"the code {code!r} in DocumentId {text!r} is not number/notation"
            )
        return cls(sender=sender, day=day, number=number, notation=notation)

    def __str__(self) -> str:
        return f"{self.sender},{format_date(self.day)},{self.number}/{self.notation}"

    @property
    def code(self) -> str:
        """`number/notation`, the way the document is cited (e.g. `7816/VPCP-TTDT`)."""
        return f"{self.number}/{self.notation}"

    def is_sent_by(self, organ_id: str) -> bool:
        """Whether this DocumentId names `organ_id` as its sender."""
        return self.sender == organ_id.strip()

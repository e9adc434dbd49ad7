"""The one exception family of the edXML language: every error has a machine code, a location
and a sentence a person can act on."""

from __future__ import annotations

from dataclasses import dataclass

from envelopes.policy import severity as severity_of


@dataclass(frozen=True, slots=True)
class Location:
    """Where in a packet a problem sits: a line number (when known) and an element path."""

    line: int | None = None
    path: str = ""

    def __str__(self) -> str:
        where = self.path or "/"
        return f"line {self.line} {where}" if self.line is not None else where


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem found in a packet."""

    code: str
    message: str
    location: Location = Location()

    @property
    def severity(self) -> str:
        """`error` (the packet is refused) or `finding` (reported; see envelopes.policy)."""
        return severity_of(self.code).value

    def as_dict(self) -> dict[str, str]:
        return {
            "code": self.code,
            "severity": self.severity,
            "location": str(self.location),
            "message": self.message,
        }


class PacketRefusal(Exception):
    """Why a packet is refused, whatever refuses it: the one family every failure to parse,
    validate, sign or verify a packet belongs to (`EnvelopeError` here, `SignatureError` in
    `signing`). Anything else escaping those steps is a bug, never an answer to bad input."""

    @property
    def code(self) -> str:
        raise NotImplementedError

    @property
    def message(self) -> str:
        raise NotImplementedError

    @property
    def problems(self) -> tuple[Problem, ...]:
        """Every problem found (one, unless validation found several)."""
        return (Problem(self.code, self.message),)


class EnvelopeError(PacketRefusal):
    """Base of every error raised by the `envelopes` package.

    Carries one or more problems; `code` and `message` are those of the first one so that a
    caller that shows a single error still shows something specific.
    """

    def __init__(self, problems: list[Problem] | Problem) -> None:
        self._problems: tuple[Problem, ...] = (
            (problems,) if isinstance(problems, Problem) else tuple(problems)
        )
        if not self._problems:
            raise ValueError("an EnvelopeError needs at least one problem")
        super().__init__("; ".join(f"{p.code} {p.location} {p.message}" for p in self._problems))

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self._problems

    @property
    def code(self) -> str:
        return self.problems[0].code

    @property
    def message(self) -> str:
        return self.problems[0].message

    @property
    def location(self) -> Location:
        return self.problems[0].location

"""The grammar of organization codes: QCVN 102:2016 and Decision 20/2020 codes, read and refused."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Final

MAX_LENGTH: Final = 35
"""Decision 20/2020 allows at most 35 characters; QCVN 102 codes are always 13."""

MAX_GROUP_LENGTH: Final = 8
"""The longest group after the level-1 group that a Decision 20/2020 code is accepted with."""


class CodeFormat(StrEnum):
    """Which of the two code formats in use a code is written in."""

    QCVN102 = "qcvn102"
    """`V1V2V3.Z1Z2.Y1Y2.MX1X2`, read right to left (e.g. `000.01.21.H29`)."""
    QD20 = "qd20"
    """Decision 20/2020/QD-TTg: groups grow left to right from the level-1 code (`G09.01`)."""


class CodeErrorCode(StrEnum):
    """The `code` of a `CodeError`: stable strings that callers, logs and reports match on.
    The sentence that goes with each names the input and says what is wrong with it."""

    EMPTY = "CODE_EMPTY"
    """The text is empty."""
    TOO_LONG = "CODE_TOO_LONG"
    """The text is longer than 35 characters, the most either format allows."""
    BAD_CHARACTER = "CODE_BAD_CHARACTER"
    """A character other than `.`, `0-9` and `A-Z` (a lower-case letter, a space, a dash)."""
    BAD_SHAPE = "CODE_BAD_SHAPE"
    """The groups follow neither format: wrong number or width of groups, an empty group, a
    leading or trailing dot, or a Decision 20/2020 group over 8 characters."""
    BAD_LEVEL1 = "CODE_BAD_LEVEL1"
    """The level-1 group is not one letter and two digits, or its digits are `00`."""
    UNKNOWN_LETTER = "CODE_UNKNOWN_LETTER"
    """The level-1 letter is not one of the letters in `LEVEL1_LETTERS`."""


class CodeError(ValueError):
    """A text is refused as an organization code.

    `code` is machine-readable, `text` is the input as given, and `message` (also `str(error)`)
    is a sentence a clerk can act on, naming the input. Positions in messages count from 1.
    """

    def __init__(self, code: CodeErrorCode, text: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.text = text
        self.message = message

    def __reduce__(self) -> tuple[type[CodeError], tuple[CodeErrorCode, str, str]]:
        # Without this an error could not cross a process boundary (the default pickling
        # calls the class with `args`, which holds only the message).
        return (type(self), (self.code, self.text, self.message))


LEVEL1_LETTERS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "A": "Party bodies",
        "B": "Presidential Office",
        "C": "National Assembly",
        "D": "Supreme People's Court",
        "E": "Supreme People's Procuracy",
        "F": "State Audit",
        "G": "ministries and government agencies",
        "H": "provincial People's Committees",
        "I": "socio-political and social organisations",
        "J": "socio-political and social organisations",
        "K": "provincial People's Councils",
    }
)
"""The first letter of a level-1 code and the kind of body it stands for (read-only)."""


@dataclass(frozen=True, slots=True)
class OrgCode:
    """An organization code that follows its format's grammar. Made by `parse_code`,
    `parse_qcvn102` and `parse_qd20`; whether the unit exists is the registry's business.

    `level` is 1 for a level-1 unit. `groups` runs from level 1 downwards: for QCVN 102 the
    all-zero groups below the deepest unit are left out (`000.01.21.H29` ->
    `("H29", "21", "01")`); for Decision 20/2020 they are the groups in order.

    A QCVN 102 code may skip a level (`000.07.00.H53`: a level-3 group under no level-2 one):
    its `level` is that of its deepest group, and `skips_a_level` says so. Such codes are
    accepted: with the district level abolished (2025), communes hang from provinces, and a
    unit's parent is always explicit in the registry, never read from the code's text, so
    refusing them would protect nothing and strand a directory import on one record.
    """

    text: str
    format: CodeFormat
    level: int
    level1: str
    groups: tuple[str, ...]

    @property
    def skips_a_level(self) -> bool:
        """QCVN 102: an all-zero group above a non-zero one (`000.07.00.H53`, whose groups are
        `("H53", "00", "07")`: the zero group keeps the others in place)."""
        return self.format is CodeFormat.QCVN102 and any(_all_zero(g) for g in self.groups[1:])

    @property
    def letter(self) -> str:
        """The letter of the level-1 code, e.g. `H` for `000.00.11.H53`."""
        return self.level1[0]

    @property
    def meaning(self) -> str:
        """What kind of body the level-1 letter stands for, in English."""
        return LEVEL1_LETTERS[self.letter]

    @property
    def parent_by_string(self) -> str | None:
        """The code one level up as the string suggests, in the same format; None at level 1.

        Only a hint for validation and diagnostics: the registry's explicit parent code is
        authoritative, and real data contains units whose parent is not the string prefix.
        Never use this to route or to build the hierarchy.
        """
        if self.level == 1:
            return None
        if self.format is CodeFormat.QD20:
            return ".".join(self.groups[:-1])
        return _qcvn102_text(self.groups[:-1])

    @property
    def qd20_form(self) -> str:
        """The groups joined with dots from level 1 downwards (`000.01.21.H29` -> `H29.21.01`,
        `000.00.00.G22` -> `G22`); a Decision 20/2020 code's own text.

        A convention used for illustration only: real directory records carry both codes
        explicitly, so the registry never derives one from the other.
        """
        if self.format is CodeFormat.QD20:
            return self.text
        return ".".join(self.groups)


def parse_code(text: str) -> OrgCode:
    """Read `text` as an organization code in either format, or raise `CodeError`.

    A text with the QCVN 102 shape (four groups, the level-1 group last) is read as QCVN 102;
    anything else as Decision 20/2020. The text is taken as given: see `normalize`.
    """
    code = _qcvn102_fast(text) or _qd20_fast(text)
    if code is None:
        raise _diagnosis(text, None)
    return code


def parse_qcvn102(text: str) -> OrgCode:
    """Read `text` as a QCVN 102:2016 code (`000.01.21.H29`), or raise `CodeError`."""
    code = _qcvn102_fast(text)
    if code is None:
        raise _diagnosis(text, CodeFormat.QCVN102)
    return code


def parse_qd20(text: str) -> OrgCode:
    """Read `text` as a Decision 20/2020 code (`G09.01`, `H53`), or raise `CodeError`."""
    code = _qd20_fast(text)
    if code is None:
        raise _diagnosis(text, CodeFormat.QD20)
    return code


def is_code(text: str) -> bool:
    """Whether `text`, as given, is an organization code in either format."""
    return (_qcvn102_fast(text) or _qd20_fast(text)) is not None


def normalize(text: str) -> str:
    """Strip surrounding whitespace and upper-case: for user input such as CLI arguments.

    Never applied inside the parsers: a code in a packet or a directory record that is not
    exactly right is refused, not silently repaired.
    """
    return text.strip().upper()


# The fast path: one precompiled regex per format accepts the common valid case; only a text
# it refuses is examined in detail, so importing ~120,000 codes costs little.

_LEVEL1 = rf"[{''.join(LEVEL1_LETTERS)}](?!00)[0-9]{{2}}"
_QCVN102_RE: Final = re.compile(rf"([0-9]{{3}})\.([0-9]{{2}})\.([0-9]{{2}})\.({_LEVEL1})")
_QD20_RE: Final = re.compile(rf"{_LEVEL1}(?:\.[0-9A-Z]{{1,{MAX_GROUP_LENGTH}}})*")

# QCVN 102 groups left of the level-1 group, from level 2 down, and their widths.
_QCVN102_WIDTHS: Final = (2, 2, 3)


def _qcvn102_fast(text: str) -> OrgCode | None:
    match = _QCVN102_RE.fullmatch(text)
    if match is None:
        return None
    v, z, y, level1 = match.groups()
    lower = (y, z, v)
    deepest = max((i + 1 for i, group in enumerate(lower) if not _all_zero(group)), default=0)
    return OrgCode(text, CodeFormat.QCVN102, 1 + deepest, level1, (level1, *lower[:deepest]))


def _qd20_fast(text: str) -> OrgCode | None:
    if len(text) > MAX_LENGTH or _QD20_RE.fullmatch(text) is None:
        return None
    groups = tuple(text.split("."))
    return OrgCode(text, CodeFormat.QD20, len(groups), groups[0], groups)


def _qcvn102_text(groups: tuple[str, ...]) -> str:
    """The QCVN 102 text of `groups` (level 1 first, all-zero groups left out)."""
    level1, *present = groups
    lower = [*present, *("0" * width for width in _QCVN102_WIDTHS[len(present) :])]
    return f"{lower[2]}.{lower[1]}.{lower[0]}.{level1}"


def _all_zero(group: str) -> bool:
    return group.strip("0") == ""


# The diagnosis: why a text the fast path refused is not a code.

_ALLOWED: Final = frozenset(".0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_FORMS: Final = {
    None: "an organization code",
    CodeFormat.QCVN102: "a QCVN 102 organization code",
    CodeFormat.QD20: "a Decision 20/2020 organization code",
}
_QCVN102_GROUP_NAMES: Final = ("level-4", "level-3", "level-2")  # left to right


def _diagnosis(text: str, expected: CodeFormat | None) -> CodeError:
    """The error explaining why `text` is not a code of the `expected` format (None: either)."""

    def error(code: CodeErrorCode, reason: str) -> CodeError:
        return CodeError(code, text, f"{_shown(text)} is not {_FORMS[expected]}: {reason}")

    if not text:
        return error(CodeErrorCode.EMPTY, "it is empty")
    if len(text) > MAX_LENGTH:
        return error(
            CodeErrorCode.TOO_LONG,
            f"it is {len(text)} characters long; codes have at most {MAX_LENGTH}",
        )
    for index, char in enumerate(text):
        if char not in _ALLOWED:
            return error(CodeErrorCode.BAD_CHARACTER, _bad_character(char, index + 1))
    if text.startswith("."):
        return error(CodeErrorCode.BAD_SHAPE, "it starts with a dot")
    if text.endswith("."):
        return error(CodeErrorCode.BAD_SHAPE, "it ends with a dot")
    if ".." in text:
        position = text.index("..") + 1
        return error(CodeErrorCode.BAD_SHAPE, f"two dots in a row at position {position}")

    groups = text.split(".")
    form = expected or _looks_like(groups)
    if form is CodeFormat.QCVN102:
        reason = _qcvn102_fault(text, groups)
    elif form is CodeFormat.QD20:
        reason = _qd20_fault(text, groups)
    else:
        reason = (
            CodeErrorCode.BAD_SHAPE,
            "it has neither the QCVN 102 form (like 000.00.11.H53) "
            "nor the Decision 20/2020 form (like H53.11)",
        )
    # Unreachable while the fast path and the diagnosis agree (the tests check they do); a
    # refusal without a precise reason is still better than accepting the text.
    return error(*(reason or (CodeErrorCode.BAD_SHAPE, "its groups do not follow the format")))


def _looks_like(groups: list[str]) -> CodeFormat | None:
    """Which format a refused text was most likely meant to be, to explain it in those terms."""
    first, last = groups[0], groups[-1]
    if first[0].isdigit() and (len(groups) == 4 or last[0].isalpha()):
        return CodeFormat.QCVN102
    if first[0].isalpha():
        return CodeFormat.QD20
    return None


def _qcvn102_fault(text: str, groups: list[str]) -> tuple[CodeErrorCode, str] | None:
    if len(groups) != 4:
        hint = " (it has the Decision 20/2020 form)" if _qd20_fast(text) else ""
        return (
            CodeErrorCode.BAD_SHAPE,
            f"it has {len(groups)} group{'s' if len(groups) != 1 else ''}{hint}; "
            "QCVN 102 codes have four, like 000.00.11.H53",
        )
    *lower, level1 = groups
    for name, group, width in zip(
        _QCVN102_GROUP_NAMES, lower, reversed(_QCVN102_WIDTHS), strict=True
    ):
        if len(group) != width or not group.isdigit():
            return (
                CodeErrorCode.BAD_SHAPE,
                f'the {name} group "{group}" should be {width} digits (all zeros for no unit)',
            )
    return _level1_fault(level1, "level-1 group")


def _qd20_fault(text: str, groups: list[str]) -> tuple[CodeErrorCode, str] | None:
    fault = _level1_fault(groups[0], "first group")
    if fault is not None:
        if _qcvn102_fast(text):
            return (fault[0], f"{fault[1]} (it has the QCVN 102 form)")
        return fault
    for number, group in enumerate(groups[1:], start=2):
        if len(group) > MAX_GROUP_LENGTH:
            return (
                CodeErrorCode.BAD_SHAPE,
                f'group {number} "{group}" has {len(group)} characters; '
                f"groups have at most {MAX_GROUP_LENGTH}",
            )
    return None


def _level1_fault(group: str, name: str) -> tuple[CodeErrorCode, str] | None:
    if len(group) != 3 or not group[0].isalpha() or not group[1:].isdigit():
        return (
            CodeErrorCode.BAD_LEVEL1,
            f'the {name} "{group}" should be a level-1 code: one letter and two digits, like H53',
        )
    if group[0] not in LEVEL1_LETTERS:
        letters = ", ".join(LEVEL1_LETTERS)
        return (
            CodeErrorCode.UNKNOWN_LETTER,
            f'the level-1 letter "{group[0]}" is not in use; level-1 codes begin with one of '
            f"{letters}",
        )
    if group[1:] == "00":
        return (
            CodeErrorCode.BAD_LEVEL1,
            f'the level-1 code "{group}" has the digits 00, which no unit has',
        )
    return None


def _bad_character(char: str, position: int) -> str:
    if "a" <= char <= "z":
        return f'lower-case "{char}" at position {position}; codes use capital letters'
    if char.isspace():
        shown = "a space" if char == " " else f"white space (U+{ord(char):04X})"
        return f"{shown} at position {position}; codes contain no spaces"
    shown = f'"{char}"' if char.isprintable() else f"U+{ord(char):04X}"
    return (
        f"{shown} at position {position}; codes use only capital letters A-Z, digits 0-9 and dots"
    )


def _shown(text: str) -> str:
    """The input, quoted for a message: invisible characters escaped, a long text cut short."""
    visible = "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)
    if len(visible) > 48:
        visible = f"{visible[:40]}… ({len(text)} characters)"
    return f'"{visible}"'

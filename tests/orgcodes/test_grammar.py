"""The grammar of organization codes: both formats read, levels and groups found, and every
refusal given its own code and a sentence that names the input."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orgcodes.grammar import (
    LEVEL1_LETTERS,
    CodeError,
    CodeErrorCode,
    CodeFormat,
    OrgCode,
    is_code,
    normalize,
    parse_code,
    parse_qcvn102,
    parse_qd20,
)

QCVN102 = CodeFormat.QCVN102
QD20 = CodeFormat.QD20


def refusal(parse: Callable[[str], OrgCode], text: str) -> CodeError:
    with pytest.raises(CodeError) as refused:
        parse(text)
    return refused.value


@pytest.mark.parametrize(
    ("text", "form", "level", "level1", "groups"),
    [
        ("000.00.00.G22", QCVN102, 1, "G22", ("G22",)),
        ("000.00.04.G14", QCVN102, 2, "G14", ("G14", "04")),
        ("000.00.11.H53", QCVN102, 2, "H53", ("H53", "11")),
        ("000.01.21.H29", QCVN102, 3, "H29", ("H29", "21", "01")),
        ("001.02.03.H41", QCVN102, 4, "H41", ("H41", "03", "02", "001")),
        ("G09.01", QD20, 2, "G09", ("G09", "01")),
        ("H53", QD20, 1, "H53", ("H53",)),
        ("H29.21.01.A7B", QD20, 4, "H29", ("H29", "21", "01", "A7B")),
    ],
    ids=lambda value: value if isinstance(value, str) and "." in value else None,
)
def test_examples_are_read_with_their_format_level_and_groups(
    text: str, form: CodeFormat, level: int, level1: str, groups: tuple[str, ...]
) -> None:
    code = parse_code(text)
    assert code == OrgCode(text, form, level, level1, groups)


@pytest.mark.parametrize(
    ("text", "letter", "meaning"),
    [
        ("000.00.00.G22", "G", "ministries and government agencies"),
        ("000.00.11.H53", "H", "provincial People's Committees"),
        ("K01.02", "K", "provincial People's Councils"),
        ("000.00.00.E01", "E", "Supreme People's Procuracy"),
    ],
)
def test_the_level1_letter_and_its_meaning(text: str, letter: str, meaning: str) -> None:
    code = parse_code(text)
    assert code.letter == letter
    assert code.meaning == meaning


def test_the_letter_table_covers_the_documented_letters_and_is_read_only() -> None:
    assert sorted(LEVEL1_LETTERS) == list("ABCDEFGHIJK")
    assert LEVEL1_LETTERS["I"] == LEVEL1_LETTERS["J"]
    with pytest.raises(TypeError):
        LEVEL1_LETTERS["W"] = "anything"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "parent"),
    [
        ("001.02.03.H41", "000.02.03.H41"),
        ("000.02.03.H41", "000.00.03.H41"),
        ("000.00.03.H41", "000.00.00.H41"),
        ("000.00.00.H41", None),
        ("G09.01.AB.7", "G09.01.AB"),
        ("G09.01.AB", "G09.01"),
        ("G09.01", "G09"),
        ("G09", None),
    ],
)
def test_parent_by_string_goes_one_level_up_in_the_same_format(
    text: str, parent: str | None
) -> None:
    code = parse_code(text)
    assert code.parent_by_string == parent
    if parent is not None:
        above = parse_code(parent)
        assert (above.format, above.level) == (code.format, code.level - 1)


@pytest.mark.parametrize(
    ("text", "qd20_form"),
    [
        ("000.01.21.H29", "H29.21.01"),
        ("000.00.00.G22", "G22"),
        ("001.02.03.H41", "H41.03.02.001"),
        ("G09.01", "G09.01"),
    ],
)
def test_qd20_form_joins_the_groups_from_level1_down(text: str, qd20_form: str) -> None:
    assert parse_code(text).qd20_form == qd20_form


@pytest.mark.parametrize(
    ("parse", "text", "code", "says"),
    [
        pytest.param(parse_code, "", CodeErrorCode.EMPTY, "empty", id="empty"),
        pytest.param(
            parse_code, "G09." + "1234567." * 4, CodeErrorCode.TOO_LONG, "36", id="too-long"
        ),
        pytest.param(
            parse_code,
            "000.00.12.h53",
            CodeErrorCode.BAD_CHARACTER,
            'lower-case "h" at position 11; codes use capital letters',
            id="lower-case",
        ),
        pytest.param(
            parse_code, " G09.01", CodeErrorCode.BAD_CHARACTER, "a space at position 1", id="space"
        ),
        pytest.param(
            parse_code, "G09-01", CodeErrorCode.BAD_CHARACTER, '"-" at position 4', id="dash"
        ),
        pytest.param(parse_code, "G09\t01", CodeErrorCode.BAD_CHARACTER, "U+0009", id="tab"),
        pytest.param(parse_code, ".G09", CodeErrorCode.BAD_SHAPE, "starts with a dot", id="lead"),
        pytest.param(parse_code, "G09.", CodeErrorCode.BAD_SHAPE, "ends with a dot", id="trail"),
        pytest.param(
            parse_code, "G09..01", CodeErrorCode.BAD_SHAPE, "two dots in a row", id="empty-group"
        ),
        pytest.param(
            parse_code, "000.00.05", CodeErrorCode.BAD_SHAPE, "neither", id="neither-format"
        ),
        pytest.param(
            parse_code, "00.00.05.H53", CodeErrorCode.BAD_SHAPE, '"00" should be 3', id="narrow"
        ),
        pytest.param(
            parse_code, "000.00.5.H53", CodeErrorCode.BAD_SHAPE, '"5" should be 2', id="narrow2"
        ),
        pytest.param(
            parse_code, "00.05.H53", CodeErrorCode.BAD_SHAPE, "has 3 groups", id="three-groups"
        ),
        pytest.param(
            parse_code,
            "G09.123456789",
            CodeErrorCode.BAD_SHAPE,
            "at most 8",
            id="qd20-group-too-long",
        ),
        pytest.param(
            parse_code, "000.00.00.553", CodeErrorCode.BAD_LEVEL1, '"553"', id="no-letter"
        ),
        pytest.param(
            parse_code, "000.00.00.H5", CodeErrorCode.BAD_LEVEL1, "two digits", id="one-digit"
        ),
        pytest.param(parse_code, "GG9.01", CodeErrorCode.BAD_LEVEL1, '"GG9"', id="qd20-level1"),
        pytest.param(parse_code, "H", CodeErrorCode.BAD_LEVEL1, '"H"', id="letter-alone"),
        pytest.param(
            parse_code, "000.00.00.G00", CodeErrorCode.BAD_LEVEL1, "digits 00", id="qcvn102-00"
        ),
        pytest.param(parse_code, "H00.01", CodeErrorCode.BAD_LEVEL1, "digits 00", id="qd20-00"),
        pytest.param(
            parse_code,
            "000.00.00.W00",
            CodeErrorCode.UNKNOWN_LETTER,
            '"W" is not in use; level-1 codes begin with one of A, B, C, D, E, F, G, H, I, J, K',
            id="unknown-letter",
        ),
        pytest.param(
            parse_code, "L01.02", CodeErrorCode.UNKNOWN_LETTER, '"L"', id="qd20-unknown-letter"
        ),
        pytest.param(
            parse_qcvn102,
            "H53",
            CodeErrorCode.BAD_SHAPE,
            "has 1 group (it has the Decision 20/2020 form)",
            id="qcvn102-given-qd20",
        ),
        pytest.param(
            parse_qd20,
            "000.00.00.G22",
            CodeErrorCode.BAD_LEVEL1,
            "(it has the QCVN 102 form)",
            id="qd20-given-qcvn102",
        ),
    ],
)
def test_each_refusal_has_its_code_and_a_sentence_naming_the_input(
    parse: Callable[[str], OrgCode], text: str, code: CodeErrorCode, says: str
) -> None:
    error = refusal(parse, text)
    assert error.code is code
    assert error.text == text
    assert says in error.message
    assert str(error) == error.message
    assert isinstance(error, ValueError)
    if len(text) <= 35 and text.isprintable():
        assert error.message.startswith(f'"{text}" is not ')


def test_messages_say_which_format_was_expected() -> None:
    assert "is not an organization code" in refusal(parse_code, "G09.").message
    assert "is not a QCVN 102 organization code" in refusal(parse_qcvn102, "G09").message
    assert "is not a Decision 20/2020 organization code" in refusal(parse_qd20, "G9").message


def test_a_long_input_is_cut_short_in_the_message() -> None:
    error = refusal(parse_code, "G" * 10_000)
    assert error.code is CodeErrorCode.TOO_LONG
    assert error.text == "G" * 10_000
    assert len(error.message) < 200
    assert "10000 characters" in error.message


def test_an_error_survives_pickling() -> None:
    error = refusal(parse_code, "000.00.00.W00")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.text, copy.message) == (error.code, error.text, error.message)


@pytest.mark.parametrize(
    ("text", "form"),
    [
        ("000.00.00.G22", QCVN102),
        ("000.01.21.H29", QCVN102),
        ("G22", QD20),
        ("G09.01", QD20),
        ("G09.01.02.03", QD20),  # four groups, but the level-1 group comes first
        ("A01.00.00.G22", QD20),  # read as the only format it fits
    ],
)
def test_the_format_is_detected_from_the_shape(text: str, form: CodeFormat) -> None:
    assert parse_code(text).format is form


def test_the_strict_parsers_accept_only_their_own_format() -> None:
    assert parse_qcvn102("000.00.11.H53").format is QCVN102
    assert parse_qd20("H53.11").format is QD20
    assert refusal(parse_qcvn102, "H53.11").code is CodeErrorCode.BAD_SHAPE
    assert refusal(parse_qd20, "000.00.11.H53").code is CodeErrorCode.BAD_LEVEL1


def test_a_qd20_code_may_have_35_characters_but_not_36() -> None:
    longest = "G09" + ".1234567" * 4  # 3 + 4 * 8 = 35
    assert len(longest) == 35
    assert parse_code(longest).level == 5
    assert refusal(parse_code, longest + "8").code is CodeErrorCode.TOO_LONG


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("000.00.00.G22", True),
        ("G09.01", True),
        ("H53", True),
        ("", False),
        ("000.00.12.h53", False),
        ("001.00.05.H53", True),  # skips a level: accepted (see below)
        ("000.00.00.W00", False),
        (" H53", False),
    ],
)
def test_is_code(text: str, expected: bool) -> None:
    assert is_code(text) is expected


def test_normalize_strips_and_upper_cases_user_input() -> None:
    assert normalize("  000.00.12.h53\n") == "000.00.12.H53"
    assert normalize("g09.01") == "G09.01"
    assert parse_code(normalize(" h53 ")).text == "H53"


def test_parsing_never_normalizes_on_its_own() -> None:
    assert refusal(parse_code, "h53").code is CodeErrorCode.BAD_CHARACTER
    assert refusal(parse_code, "H53 ").code is CodeErrorCode.BAD_CHARACTER


# Property: any code built from valid groups is read back as itself, at the level it was built.

_LETTERS = st.sampled_from(sorted(LEVEL1_LETTERS))
_LEVEL1 = st.builds(lambda letter, number: f"{letter}{number:02d}", _LETTERS, st.integers(1, 99))


def _digits(width: int) -> st.SearchStrategy[str]:
    """A non-zero group of `width` digits."""
    return st.integers(1, 10**width - 1).map(lambda number: f"{number:0{width}d}")


@st.composite
def qcvn102_codes(draw: st.DrawFn) -> tuple[str, int]:
    level1 = draw(_LEVEL1)
    level = draw(st.integers(1, 4))
    y = draw(_digits(2)) if level >= 2 else "00"
    z = draw(_digits(2)) if level >= 3 else "00"
    v = draw(_digits(3)) if level >= 4 else "000"
    return f"{v}.{z}.{y}.{level1}", level


@st.composite
def qd20_codes(draw: st.DrawFn) -> tuple[str, int]:
    groups = [draw(_LEVEL1)]
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    for group in draw(st.lists(st.text(alphabet, min_size=1, max_size=8), max_size=8)):
        if len(".".join([*groups, group])) > 35:
            break
        groups.append(group)
    return ".".join(groups), len(groups)


@given(qcvn102_codes() | qd20_codes())
def test_any_well_formed_code_round_trips(built: tuple[str, int]) -> None:
    text, level = built
    code = parse_code(text)
    assert code.text == text
    assert code.level == level == len(code.groups)
    assert is_code(text)
    parent = code.parent_by_string
    assert (parent is None) == (level == 1)
    if parent is not None:
        assert parse_code(parent).level == level - 1


@given(qcvn102_codes())
def test_a_qcvn102_code_and_its_qd20_form_agree(built: tuple[str, int]) -> None:
    code = parse_qcvn102(built[0])
    other = parse_qd20(code.qd20_form)
    assert (other.level, other.level1, other.groups) == (code.level, code.level1, code.groups)


@pytest.mark.parametrize(
    ("text", "level", "groups", "parent"),
    [
        ("000.07.00.H53", 3, ("H53", "00", "07"), "000.00.00.H53"),
        ("001.00.05.H53", 4, ("H53", "05", "00", "001"), "000.00.05.H53"),
    ],
)
def test_a_code_that_skips_a_level_is_accepted_at_the_level_of_its_deepest_group(
    text: str, level: int, groups: tuple[str, ...], parent: str
) -> None:
    """With the district level gone, units hang from provinces; a unit's parent is explicit in
    the registry, so a code that skips a level protects nothing by being refused."""
    code = parse_code(text)
    assert (code.level, code.groups, code.skips_a_level) == (level, groups, True)
    assert code.parent_by_string == parent
    assert not parse_code("000.01.21.H29").skips_a_level

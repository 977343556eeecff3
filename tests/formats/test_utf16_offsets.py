"""The offset checks every importer shares, and the UTF-16 conversion doccano's offsets go
through: exact messages naming the file and line, and exact conversions, checked against
UTF-16 encoding itself."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.formats.base import InputError, Utf16Offsets, check_offsets, utf16_to_code_points

PATH = "/data/tasks.jsonl"
# "🛸" and "🇮🇶" (two regional indicators) are astral: two UTF-16 units each.
TEXT = "Drone 🛸 hit Erbil 🇮🇶."
#  code points: D0 r1 o2 n3 e4 ' '5 🛸6 ' '7 h8 i9 t10 ' '11 E12 r13 b14 i15 l16 ' '17
#               🇮18 🇶19 .20 -> 21 code points
#  UTF-16:      0-5 as above, 🛸 6-7, ' '8, h9 i10 t11 ' '12 E13 r14 b15 i16 l17 ' '18,
#               🇮 19-20, 🇶 21-22, .23 -> 24 units


def utf16_units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("0", 3, 'span 2: start should be an integer, not "0"'),
        (0, 2.5, "span 2: end should be an integer, not 2.5"),
        (True, 3, "span 2: start should be an integer, not true"),
        (0, None, "span 2: end should be an integer, not null"),
        (10**18 + 1, 3, "span 2: start lies far outside the text of 21 characters"),
        (0, -(10**18) - 1, "span 2: end lies far outside the text of 21 characters"),
        (4, 4, "span 2: start 4 is not before end 4"),
        (5, 4, "span 2: start 5 is not before end 4"),
        (-1, 4, "span 2: offsets -1-4 fall outside the text of 21 characters"),
        (3, 22, "span 2: offsets 3-22 fall outside the text of 21 characters"),
    ],
)
def test_bad_offsets_are_refused_naming_the_file_line_and_field(start, end, message):
    with pytest.raises(InputError) as raised:
        check_offsets(start, end, len(TEXT), PATH, 7, "span 2: ")
    assert str(raised.value) == f"{PATH}:7: {message}"
    assert (raised.value.path, raised.value.line) == (PATH, 7)


def test_offsets_at_the_edges_of_the_text_are_kept():
    assert check_offsets(0, 21, 21, PATH, 7, "") == (0, 21)
    assert check_offsets(10**18 - 1, 10**18, 10**18, PATH, 7, "") == (10**18 - 1, 10**18)


def test_a_number_of_exactly_a_billion_billion_is_still_judged_against_the_text():
    with pytest.raises(InputError) as raised:
        check_offsets(0, 10**18, 21, PATH, 3, "")
    assert (
        str(raised.value)
        == f"{PATH}:3: offsets 0-1000000000000000000 fall outside the text of 21 characters"
    )


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (0, 5, (0, 5)),  # "Drone": no astral character before it
        (6, 8, (6, 7)),  # "🛸": two units, one code point
        (9, 12, (8, 11)),  # "hit": one unit on, from the 🛸
        (19, 23, (18, 20)),  # "🇮🇶"
        (21, 23, (19, 20)),  # "🇶", the second of the flag's two
        (23, 24, (20, 21)),  # "."
        (0, 24, (0, 21)),
    ],
)
def test_utf16_offsets_become_code_points(start, end, expected):
    offsets = Utf16Offsets(TEXT)
    assert offsets.utf16_length == 24 == utf16_units(TEXT)
    assert utf16_to_code_points(offsets, start, end, PATH, 4, "entity 1: ") == expected
    assert (offsets.to_utf16(expected[0]), offsets.to_utf16(expected[1])) == (start, end)


@pytest.mark.parametrize(("start", "end"), [(7, 9), (0, 7), (20, 23), (19, 22)])
def test_an_offset_inside_an_emoji_is_refused(start, end):
    with pytest.raises(InputError) as raised:
        utf16_to_code_points(Utf16Offsets(TEXT), start, end, PATH, 4, "entity 1: ")
    assert str(raised.value) == (
        f"{PATH}:4: entity 1: offsets {start}-{end} cut an emoji or other astral character in half"
    )


def test_utf16_offsets_are_checked_against_the_text_in_utf16_units():
    offsets = Utf16Offsets(TEXT)
    with pytest.raises(InputError) as raised:
        utf16_to_code_points(offsets, 20, 25, PATH, 4, "entity 1: ")
    assert (
        str(raised.value)
        == f"{PATH}:4: entity 1: offsets 20-25 fall outside the text of 24 characters"
    )
    with pytest.raises(InputError) as raised:
        utf16_to_code_points(offsets, "1", 3, PATH, 4, "entity 1: ")
    assert str(raised.value) == f'{PATH}:4: entity 1: start should be an integer, not "1"'


def test_a_text_without_astral_characters_converts_to_itself():
    offsets = Utf16Offsets("Kata’ib e\u0301\r\n")
    assert offsets.utf16_length == 12
    assert [offsets.from_utf16(unit) for unit in range(13)] == list(range(13))
    assert [offsets.to_utf16(offset) for offset in range(13)] == list(range(13))


@given(st.lists(st.sampled_from(["a", " ", "😀", "👍🏽", "é", "e\u0301", "\r\n", "ع", "🇮🇶"])))
def test_conversions_agree_with_utf16_encoding(pieces):
    text = "".join(pieces)
    offsets = Utf16Offsets(text)
    assert offsets.utf16_length == utf16_units(text)
    inside_pairs = set()
    for index, character in enumerate(text):
        unit = utf16_units(text[:index])
        assert offsets.to_utf16(index) == unit
        assert offsets.from_utf16(unit) == index
        if ord(character) > 0xFFFF:
            inside_pairs.add(unit + 1)
    assert offsets.to_utf16(len(text)) == utf16_units(text)
    assert offsets.from_utf16(utf16_units(text)) == len(text)
    for unit in inside_pairs:
        assert offsets.from_utf16(unit) is None

"""Reading files exactly: encodings, line ends, JSON lines, and UTF-16 offsets."""

from __future__ import annotations

import codecs

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.formats.base import InputError, Utf16Offsets, decode_text, iter_jsonl

TRICKY = "Biden 👍🏽 said\r\nكتائب حزب الله\rcafe\u0301 \u2028line\u2029para 🇮🇶\n"


def test_utf8_is_read_exactly_and_a_bom_is_dropped():
    assert decode_text(TRICKY.encode("utf-8"), "a.txt") == TRICKY
    assert decode_text(codecs.BOM_UTF8 + TRICKY.encode("utf-8"), "a.txt") == TRICKY


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_bom_marked_utf16_is_read(codec):
    bom = codecs.BOM_UTF16_LE if codec.endswith("le") else codecs.BOM_UTF16_BE
    assert decode_text(bom + TRICKY.encode(codec), "a.txt") == TRICKY


def test_another_encoding_is_an_error_naming_the_line():
    data = "first line\nsecond line\ncaf\xe9 on the third\n".encode("latin-1")
    with pytest.raises(InputError) as error:
        decode_text(data, "old.txt")
    assert str(error.value).startswith("old.txt:3: not UTF-8 (byte 0xe9)")


def test_a_binary_file_is_an_error():
    with pytest.raises(InputError, match=r"photo.txt:3: binary data"):
        decode_text(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "photo.txt")


def test_utf16_without_bom_is_not_guessed():
    with pytest.raises(InputError):
        decode_text("abc".encode("utf-16-le"), "x.txt")


def test_jsonl_lines_split_on_newline_only(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes('{"text": "one\u2028two\u0085three"}\r\n\n{"text": "b"}\n'.encode("utf-8"))
    assert [(line, record["text"]) for line, record in iter_jsonl(path)] == [
        (1, "one\u2028two\u0085three"),
        (3, "b"),
    ]


def test_a_badly_encoded_jsonl_line_is_named(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_bytes(b'{"text": "fine"}\n{"text": "caf\xe9"}\n')
    with pytest.raises(InputError) as error:
        list(iter_jsonl(path))
    assert str(error.value).startswith(f"{path}:2: not UTF-8 (byte 0xe9)")


def test_malformed_json_names_its_line(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text('{"text": "a"}\n{"text": "b",\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"a.jsonl:2: malformed JSON"):
        list(iter_jsonl(path))
    path.write_text('{"text": "a"}\n[1, 2]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"a.jsonl:2: expected a JSON object, found list"):
        list(iter_jsonl(path))


def utf16_units(text: str, offset: int) -> int:
    return len(text[:offset].encode("utf-16-le")) // 2


@given(
    st.text(
        alphabet=st.sampled_from(list("ab \r\n") + ["😀", "🇮", "\u0301", "ع", "\u200d", "\ufe0f"])
    )
)
def test_utf16_offsets_agree_with_javascript_counting(text):
    offsets = Utf16Offsets(text)
    assert offsets.utf16_length == len(text.encode("utf-16-le")) // 2
    for index in range(len(text) + 1):
        unit = utf16_units(text, index)
        assert offsets.to_utf16(index) == unit
        assert offsets.from_utf16(unit) == index
    for index, char in enumerate(text):
        if ord(char) > 0xFFFF:
            assert offsets.from_utf16(utf16_units(text, index) + 1) is None

"""The manifest lines round-trip and refuse what is not theirs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from junefs.manifest import (
    MAX_CONTENT,
    FileLine,
    ManifestPart,
    PartLine,
    parse_file,
    parse_manifest,
    parse_part,
    render_file,
    render_manifest,
    render_part,
)

SHA = "ab" * 32


def test_part_line_round_trip() -> None:
    line = PartLine(SHA, 3, 4, 31457280, 4194304, "cd" * 32)
    assert parse_part(render_part(line)) == line


@given(st.text(min_size=1, max_size=300).filter(lambda s: "\n" not in s and s.strip() == s))
def test_file_line_round_trip_with_any_name(name: str) -> None:
    line = FileLine(name, 12, 35 * 2**20, 4, SHA)
    content = render_file(line)
    assert len(content) <= MAX_CONTENT
    assert parse_file(content) == line


def test_a_long_name_is_shortened_to_fit_discords_limit() -> None:
    content = render_file(FileLine("n" * 5000, 1, 1, 1, SHA))
    assert len(content) <= MAX_CONTENT
    parsed = parse_file(content)
    assert parsed is not None and parsed.sha256 == SHA and parsed.name.endswith("…")


@pytest.mark.parametrize(
    "content",
    [
        "hello everyone",
        "sequenzia-part v1 file=xyz index=0",
        f"sequenzia-file v2 id=1 sha256={SHA}",
        "",
        f"name\nsequenzia-file v1 id=1 size=1 parts=1 sha256={SHA}x",
    ],
)
def test_other_messages_are_not_manifests(content: str) -> None:
    assert parse_part(content) is None and parse_file(content) is None


def test_manifest_json_round_trip_and_checks() -> None:
    file_line = FileLine("a.bin", 9, 30, 2, SHA)
    parts = [ManifestPart(0, 0, 20, SHA, 1, 2, 3), ManifestPart(1, 20, 10, SHA, 1, 4, 5)]
    assert parse_manifest(render_manifest(file_line, parts)) == (file_line, parts)
    with pytest.raises(ValueError, match=r"0\.\.n-1"):
        parse_manifest(render_manifest(file_line, parts[1:]))
    with pytest.raises(ValueError, match="not a Sequenzia manifest"):
        parse_manifest(b'{"version": 1}')

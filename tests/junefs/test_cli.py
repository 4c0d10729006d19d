"""python manage.py junefs ...: output, exit codes, and refusing damaged parts."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from junefs.models import Channel, File
from tests.factories import jpeg_bytes, make_channel, random_bytes
from tests.processes import ROOT, child_env

pytestmark = pytest.mark.django_db


def run(*args: str) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("junefs", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_upload_json_prints_one_object_per_file(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 10_000
    make_channel("art")
    big = tmp_path / "big.bin"
    big.write_bytes(random_bytes(35_000))
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg_bytes(200, 100))
    out, _ = run("upload", str(big), str(photo), "--channel", "art", "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["parts"] for line in lines] == [4, 1]
    assert lines[0]["sha256"] == hashlib.sha256(big.read_bytes()).hexdigest()
    assert lines[0]["size"] == 35_000 and lines[1]["size"] == photo.stat().st_size
    assert {"id", "sha256", "size", "parts"} <= set(lines[0])
    assert all(File.objects.get(pk=line["id"]).state == "complete" for line in lines)


def test_upload_walks_folders_and_can_create_the_channel(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_bytes(b"a")
    (tmp_path / "sub" / "b.txt").write_bytes(b"b")
    out, _ = run("upload", str(tmp_path), "--channel", "new-folder", "--create", "--json")
    assert len(out.splitlines()) == 2
    assert Channel.objects.get(name="new-folder").files.count() == 2


def test_download_ls_verify_rm_round_trip(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 4096
    make_channel("docs")
    source = tmp_path / "report.bin"
    source.write_bytes(random_bytes(10_000, seed=2))
    file_id = json.loads(run("upload", str(source), "--channel", "docs", "--json")[0])["id"]
    listing = [json.loads(x) for x in run("ls", "--channel", "docs", "--json")[0].splitlines()]
    assert [entry["id"] for entry in listing] == [file_id]
    target = tmp_path / "out.bin"
    run("download", str(file_id), "-o", str(target))
    assert target.read_bytes() == source.read_bytes()
    out, _ = run("verify", str(file_id))
    assert out.strip() == f"{file_id}: ok (3 parts)"
    objects = list(Path(settings.JUNEFS_LOCAL_BACKEND_DIR).rglob("*.part"))
    assert len(objects) == 3
    run("rm", str(file_id))
    assert not File.objects.filter(pk=file_id).exists()
    assert list(Path(settings.JUNEFS_LOCAL_BACKEND_DIR).rglob("*.part")) == []


def test_a_part_changed_on_disk_is_refused_by_verify_and_download(tmp_path: Path, settings) -> None:  # type: ignore[no-untyped-def]
    settings.JUNEFS_MAX_PART_SIZE = 4096
    make_channel("docs")
    source = tmp_path / "data.bin"
    source.write_bytes(random_bytes(10_000, seed=5))
    file_id = json.loads(run("upload", str(source), "--channel", "docs", "--json")[0])["id"]
    part = File.objects.get(pk=file_id).parts.get(index=1)
    stored = Path(settings.JUNEFS_LOCAL_BACKEND_DIR) / part.key
    damaged = bytearray(stored.read_bytes())
    damaged[100] ^= 0xFF
    stored.write_bytes(bytes(damaged))

    with pytest.raises(CommandError, match="1 of 1 file"):
        run("verify", str(file_id))
    file = File.objects.get(pk=file_id)
    assert file.state == File.State.DAMAGED and "part 1 of file" in file.state_note

    target = tmp_path / "out.bin"
    with pytest.raises(CommandError, match=rf"part 1 of file {file_id} is damaged: sha256 is"):
        run("download", str(file_id), "-o", str(target))
    assert not target.exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".junefs-")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["upload", "/nonexistent/x.jpg", "--channel", "art"], "cannot read /nonexistent/x.jpg"),
        (["upload", "x.jpg", "--channel", "nope"], "no channel named 'nope'"),
        (["download", "abc", "-o", "/tmp/x"], "not a file id: 'abc'"),
        (["download", "999999", "-o", "/tmp/x"], "no file with id 999999"),
        (["verify"], "give file ids or --all"),
        (["rm", "424242"], "no file with id 424242"),
        (["channels", "create", "art"], "already exists"),
    ],
)
def test_bad_input_is_one_line_and_a_non_zero_exit(args: list[str], message: str) -> None:
    make_channel("art")
    out, err = StringIO(), StringIO()
    try:
        call_command("junefs", *args, stdout=out, stderr=err)
    except CommandError as exc:
        text = err.getvalue() + str(exc)
    else:
        pytest.fail("expected an error")
    assert message in text


def test_errors_from_the_real_command_line_are_one_line(tmp_path: Path) -> None:
    env = child_env(DATA_DIR=str(tmp_path), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run(
        [sys.executable, "manage.py", "junefs", "download", "12", "-o", "x"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "CommandError: no file with id 12"


def test_channels_create_and_list() -> None:
    out, _ = run(
        "channels", "create", "wallpapers", "--category", "Art", "--class", "Media", "--nsfw"
    )
    assert "created channel" in out
    channel = Channel.objects.get(name="wallpapers")
    assert (channel.category, channel.class_name, channel.nsfw) == ("Art", "Media", True)
    listing, _ = run("channels")
    assert "wallpapers" in listing and "nsfw" in listing

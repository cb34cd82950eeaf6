"""Session files: each way a file can be bad gets its own error and a message naming the problem."""

from __future__ import annotations

import hashlib
import json
import struct
import warnings
import zipfile

import pytest

import workbench
from tests.session.fixtures.sessions import manifest_for, raw_archive, read_members, sample_document
from workbench.session.files import (
    CorruptMember,
    Limits,
    ManifestError,
    MissingMember,
    NewerVersionError,
    NotASessionFile,
    SessionDocument,
    SessionFileError,
    TooLarge,
    UnknownFormat,
    UnreadableFile,
    UnsafeMemberName,
    dumps_session,
    load_session,
)


@pytest.fixture(scope="module")
def good() -> bytes:
    return dumps_session(sample_document())


@pytest.fixture(scope="module")
def parts(good) -> tuple[dict, dict[str, bytes]]:
    return read_members(good)


def load_error(source, cls=SessionFileError, **kwargs) -> SessionFileError:
    with pytest.raises(cls) as info:
        load_session(source, **kwargs)
    assert type(info.value) is not SessionFileError, "a bug reached the catch-all"
    return info.value


def test_all_errors_share_the_base_class():
    for cls in (
        NotASessionFile,
        ManifestError,
        UnknownFormat,
        NewerVersionError,
        CorruptMember,
        MissingMember,
        TooLarge,
        UnsafeMemberName,
        UnreadableFile,
    ):
        assert issubclass(cls, SessionFileError)
    from workbench.session import files

    assert files.SessionFileError is SessionFileError


def test_message_names_the_file(tmp_path):
    path = tmp_path / "notes.wbsession"
    path.write_text("hello")
    err = load_error(path, NotASessionFile)
    assert str(err).startswith(f"{path}: not a session file")
    assert err.source == str(path)


@pytest.mark.parametrize("data", [b"", b"hello world", b"\x89PNG\r\n\x1a\n" + bytes(100)])
def test_not_a_zip(data):
    err = load_error(data, NotASessionFile)
    assert "not a zip archive" in str(err)


def test_zip_without_manifest():
    err = load_error(raw_archive({"a.txt": b"x"}, manifest=False), NotASessionFile)
    assert "without manifest.json" in str(err)


def test_missing_file_and_directory(tmp_path):
    assert "cannot open" in str(load_error(tmp_path / "nope.wbsession", UnreadableFile))
    load_error(tmp_path, UnreadableFile)


def test_truncated_file_is_reported_as_damaged(good):
    for cut in (len(good) // 2, len(good) - 10, 30):
        err = load_error(good[:cut], CorruptMember)
        assert "truncated or damaged" in str(err)


@pytest.mark.parametrize(
    "manifest, cls, words",
    [
        (b"{not json", ManifestError, "not valid JSON"),
        (b"\xff\xfe\x00", ManifestError, "not UTF-8"),
        (b"[1, 2]", ManifestError, "JSON object"),
        ({"schema_version": 1}, ManifestError, 'no "format"'),
        ({"format": 3}, ManifestError, '"format" must be a string'),
        ({"format": "zip-of-cats", "schema_version": 1}, UnknownFormat, "zip-of-cats"),
        ({"format": "autograd-workbench-session"}, ManifestError, 'no "schema_version"'),
        ({"format": "autograd-workbench-session", "schema_version": "1"}, ManifestError, "integer"),
        (
            {"format": "autograd-workbench-session", "schema_version": True},
            ManifestError,
            "integer",
        ),
        ({"format": "autograd-workbench-session", "schema_version": -1}, ManifestError, "integer"),
    ],
)
def test_malformed_manifests(manifest, cls, words):
    err = load_error(raw_archive({}, manifest), cls)
    assert words in str(err)


@pytest.mark.parametrize(
    "change, words",
    [
        ({"app_version": 1}, '"app_version" must be a string'),
        ({"created": "yesterday"}, "not an ISO 8601 time"),
        ({"modified": None}, "ISO 8601 string"),
        ({"members": {}}, '"members" must be a list'),
        ({"members": ["x"]}, "must be an object"),
        ({"members": [{"name": "a", "sha256": "00", "size": 1}]}, "no valid sha256"),
        ({"members": [{"name": "a", "sha256": "0" * 64, "size": -1}]}, "no valid size"),
        ({"members": [{"sha256": "0" * 64, "size": 1}]}, 'no "name"'),
        ({"members": [{"name": "manifest.json", "sha256": "0" * 64, "size": 1}]}, "itself"),
    ],
)
def test_manifest_values_of_the_wrong_type(change, words):
    err = load_error(raw_archive({}, manifest_for({}, **change)), ManifestError)
    assert words in str(err)


def test_manifest_missing_keys(parts):
    manifest, members = parts
    for key in ("app_version", "created", "modified", "members"):
        broken = {k: v for k, v in manifest.items() if k != key}
        err = load_error(raw_archive(members, broken), ManifestError)
        assert f'no "{key}"' in str(err)


def test_too_new_file_names_both_versions_and_says_to_update(parts):
    manifest, members = parts
    newer = {**manifest, "schema_version": 7, "app_version": "3.1.4", "members": "changed"}
    err = load_error(raw_archive(members, newer), NewerVersionError)
    text = str(err)
    assert "Workbench 3.1.4" in text and "version 7" in text
    assert f"this Workbench ({workbench.__version__}) reads versions up to 1" in text
    assert "Update Workbench" in text
    assert err.file_version == 7 and err.writer_version == "3.1.4"


def test_checksum_mismatch(parts):
    manifest, members = parts
    members = dict(members)
    members["code/0-main.py"] = members["code/0-main.py"].replace(b"torch", b"tOrch")
    err = load_error(raw_archive(members, manifest), CorruptMember)
    assert "'code/0-main.py'" in str(err) and "sha256" in str(err)


def test_size_mismatch(parts):
    manifest, members = parts
    members = {**members, "ui_state.json": members["ui_state.json"] + b" "}
    err = load_error(raw_archive(members, manifest), CorruptMember)
    assert "the manifest says" in str(err)


def test_missing_member(parts):
    manifest, members = parts
    members = {k: v for k, v in members.items() if k != "tensors/tensors.safetensors"}
    err = load_error(raw_archive(members, manifest), MissingMember)
    assert "'tensors/tensors.safetensors'" in str(err)


def test_member_an_index_needs_is_missing(parts):
    _, members = parts
    members = {k: v for k, v in members.items() if k != "graphs/index.json"}
    err = load_error(raw_archive(members), MissingMember)
    assert "graphs/index.json" in str(err)


def test_unlisted_member_is_refused(parts):
    manifest, members = parts
    err = load_error(raw_archive({**members, "extra.bin": b"x"}, manifest), CorruptMember)
    assert "not listed in the manifest" in str(err)


@pytest.mark.parametrize(
    "member, payload, words",
    [
        ("ui_state.json", b"[1, 2", "not valid JSON"),
        ("ui_state.json", b"[1, 2]", "must be a JSON object"),
        ("code/index.json", b'[{"name": 1}]', "no valid 'name'"),
        ("code/index.json", b'{"a": 1}', "must hold a list"),
        ("code/0-main.py", b"\xff\xfe", "not UTF-8"),
        (
            "tensors/tensors.safetensors",
            b"\x08" + bytes(7) + b"garbage!",
            "not a valid safetensors",
        ),
        ("tensors/tensors.safetensors", struct.pack("<Q", 2**62), "not a valid safetensors"),
        ("tensors/index.json", b'[{"name": "x", "requires_grad": false}]', "does not hold"),
        ("profiles/0-loop/args.json", b"[]", "damaged"),
        ("profiles/0-loop/tables.json", b'{"names": [], "cats": []}', "damaged"),
        ("runs/0-spirals/run.json", b'{"spec": null}', "no 'settings'"),
        ("ui_state.json", b"[" * 100000 + b"]" * 100000, "not valid JSON"),
    ],
)
def test_undecodable_members(parts, member, payload, words):
    _, members = parts
    err = load_error(raw_archive({**members, member: payload}), CorruptMember)
    assert repr(member) in str(err) or "profile 'loop'" in str(err)
    assert words in str(err)


def test_safetensors_with_an_unsupported_dtype(parts):
    _, members = parts
    header = json.dumps({"t": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}).encode()
    st = struct.pack("<Q", len(header)) + header + b"\x00\x00"
    index = b'[{"name": "t", "requires_grad": false}]'
    members = {**members, "tensors/tensors.safetensors": st, "tensors/index.json": index}
    load_error(raw_archive(members), CorruptMember)


@pytest.mark.parametrize(
    "name, words",
    [
        ("/etc/passwd", "absolute path"),
        ("../outside.txt", "outside the archive"),
        ("code/../../x", "outside the archive"),
        ("code\\..\\x", "backslash"),
        ("C:/windows/x", "drive letter"),
        ("a\nb", "control character"),
        ("a//b", "empty or '.'"),
        ("./a", "empty or '.'"),
        ("dir/", "empty or '.'"),
        ("x" * 300, "longer than"),
    ],
)
def test_unsafe_member_names(name, words):
    err = load_error(raw_archive({name: b"x"}), UnsafeMemberName)
    assert words in str(err)


def test_nul_in_a_member_name():
    # zipfile cuts names at NUL when writing, so put the NUL into the bytes afterwards
    data = raw_archive({"aQQb": b"x"}).replace(b"aQQb", b"a\x00Qb")
    assert "NUL byte" in str(load_error(data, UnsafeMemberName))


def test_duplicate_member_names(parts):
    _, members = parts
    items = [*members.items(), ("ui_state.json", b"{}")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns about the duplicate
        data = raw_archive(items, manifest_for(members))
    err = load_error(data, UnsafeMemberName)
    assert "appears twice" in str(err)


def test_limits_on_count_member_size_and_total(good):
    assert "members" in str(load_error(good, TooLarge, limits=Limits(max_members=5)))
    err = load_error(good, TooLarge, limits=Limits(max_member_size=1000))
    assert "uncompressed; at most" in str(err)
    err = load_error(good, TooLarge, limits=Limits(max_total_size=5000))
    assert "add up to" in str(err)


def test_zip_bomb_ratio():
    bomb = bytes(20 << 20)  # 20 MiB of zeros deflates ~1000:1
    err = load_error(raw_archive({"ui_state.json": bomb}), TooLarge)
    assert "expands" in str(err) and "zip bomb" in str(err)
    # small members are not held to the ratio: they cannot hurt
    small = json.dumps({"k": "a" * 100_000}).encode()
    load_error(raw_archive({"ui_state.json": small}), MissingMember)


def _patch_central_size(data: bytes, name: bytes, new_size: int) -> bytes:
    """Rewrite the uncompressed size of `name` in the zip's central directory."""
    at = data.rindex(name) - 46  # central header: 46 fixed bytes, then the name
    assert data[at : at + 4] == b"PK\x01\x02"
    return data[: at + 24] + struct.pack("<I", new_size) + data[at + 28 :]


def test_a_directory_that_lies_about_sizes(parts):
    _, members = parts
    data = raw_archive(members, deflate=False)
    # claims fewer bytes than the member holds: read stops at the claim, the CRC catches it
    shrunk = _patch_central_size(data, b"ui_state.json", 3)
    load_error(shrunk, CorruptMember)
    # claims more bytes than stored: stored sizes disagree
    grown = _patch_central_size(data, b"ui_state.json", 10_000)
    load_error(grown, CorruptMember)


def test_deflated_directory_lie(parts):
    _, members = parts
    data = raw_archive(members, deflate=True)
    err = load_error(_patch_central_size(data, b"ui_state.json", 5), CorruptMember)
    assert "ui_state.json" in str(err)


def test_encrypted_and_unsupported_compression(parts):
    _, members = parts
    data = bytearray(raw_archive(members, deflate=False))
    at = bytes(data).rindex(b"ui_state.json") - 46
    flags = bytearray(data)
    flags[at + 8] |= 0x1  # the encrypted bit, central directory
    assert "encrypted" in str(load_error(bytes(flags), CorruptMember))
    method = bytearray(data)
    method[at + 10 : at + 12] = struct.pack("<H", zipfile.ZIP_LZMA)
    assert "compression method" in str(load_error(bytes(method), CorruptMember))


def test_manifest_too_large_is_refused():
    huge = json.dumps({"pad": "x" * (17 << 20)}).encode()
    assert "manifest.json" in str(load_error(raw_archive({}, huge, deflate=False), TooLarge))


def test_version_zero_without_its_code_member_is_missing_member(parts):
    _, members = parts
    members = {k: v for k, v in members.items() if not k.startswith("code/")}
    data = raw_archive(members, manifest_for(members, schema_version=0))
    assert "code.json" in str(load_error(data, MissingMember))


def test_sha_is_of_the_member_bytes(parts):
    manifest, members = parts
    for entry in manifest["members"]:
        assert entry["sha256"] == hashlib.sha256(members[entry["name"]]).hexdigest()


def test_loading_writes_nothing(tmp_path, monkeypatch, good):
    path = tmp_path / "s.wbsession"
    path.write_bytes(good)
    monkeypatch.chdir(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    load_session(path)
    with pytest.raises(SessionFileError):
        load_session(raw_archive({"../x": b"1"}))
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_empty_document_round_trips():
    doc = load_session(dumps_session(SessionDocument()))
    assert doc.code == [] and doc.tensors == {} and doc.profiles == [] and doc.ui_state == {}

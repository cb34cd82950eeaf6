"""Fuzzing the loader: whatever the bytes, loading gives a document or a SessionFileError subclass.

Never another exception, and never the bare base class (that is the loader's catch-all for its
own bugs, so these tests would expose a bug that reached it).
"""

from __future__ import annotations

import json
import warnings

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.session.fixtures.sessions import (
    manifest_for,
    raw_archive,
    read_members,
    sample_document,
    sample_events,
)
from workbench.session.files import (
    SessionDocument,
    SessionFileError,
    StoredProfile,
    TooLarge,
    UnsafeMemberName,
    dumps_session,
    load_session,
)

FUZZ = settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow])


def _small_document() -> SessionDocument:
    doc = sample_document()
    doc.profiles = [StoredProfile("loop", sample_events(3))]
    return doc


GOOD = dumps_session(_small_document())
MANIFEST, MEMBERS = read_members(GOOD)
JSON_MEMBERS = sorted(n for n in MEMBERS if n.endswith(".json"))

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def load_or_clean_error(data: bytes) -> SessionDocument | SessionFileError:
    try:
        return load_session(data)
    except SessionFileError as exc:
        assert type(exc) is not SessionFileError, f"catch-all reached: {exc}"
        return exc


@FUZZ
@given(st.integers(0, len(GOOD) - 1))
def test_truncated_files(cut):
    assert isinstance(load_or_clean_error(GOOD[:cut]), SessionFileError)


@FUZZ
@given(
    st.lists(st.tuples(st.integers(0, len(GOOD) - 1), st.integers(1, 255)), min_size=1, max_size=4)
)
def test_flipped_bytes(flips):
    data = bytearray(GOOD)
    for at, mask in flips:
        data[at] ^= mask
    load_or_clean_error(bytes(data))


@FUZZ
@given(st.binary(max_size=2000), st.booleans())
def test_random_bytes(data, zip_magic):
    result = load_or_clean_error((b"PK\x03\x04" if zip_magic else b"") + data)
    assert isinstance(result, SessionFileError)


def _mutate(value, path: list, new):
    """`value` with the node at `path` (indexes into lists/dicts, modulo their size) replaced."""
    if not path or not isinstance(value, list | dict) or not value:
        return new
    step, rest = path[0], path[1:]
    if isinstance(value, list):
        i = step % len(value)
        return [*value[:i], _mutate(value[i], rest, new), *value[i + 1 :]]
    key = sorted(value)[step % len(value)]
    return {**value, key: _mutate(value[key], rest, new)}


@FUZZ
@given(st.lists(st.integers(0, 50), max_size=4), json_values)
def test_mutated_manifest(path, new):
    manifest = _mutate(MANIFEST, path, new)
    load_or_clean_error(raw_archive(MEMBERS, manifest))


@FUZZ
@given(st.sampled_from(JSON_MEMBERS), st.lists(st.integers(0, 50), max_size=4), json_values)
def test_mutated_json_members_with_valid_checksums(member, path, new):
    # the checksums are recomputed, so the decoder's own checks are what is fuzzed here
    value = _mutate(json.loads(MEMBERS[member]), path, new)
    members = {**MEMBERS, member: json.dumps(value).encode()}
    load_or_clean_error(raw_archive(members))


@FUZZ
@given(st.sampled_from(sorted(MEMBERS)), st.binary(max_size=64))
def test_replaced_members_with_valid_checksums(member, payload):
    load_or_clean_error(raw_archive({**MEMBERS, member: payload}))


escaping_names = st.one_of(
    st.text(min_size=1, max_size=300),
    st.builds(lambda a, b: f"{a}/../{b}", st.text(max_size=10), st.text(max_size=10)),
    st.builds(lambda a: "/" + a, st.text(max_size=20)),
    st.builds(lambda a: "C:" + a, st.text(max_size=20)),
    st.builds(lambda a: a + "\\" + a, st.text(max_size=10)),
)


@FUZZ
@given(escaping_names)
def test_odd_member_names(name):
    # the manifest does not list the extra member, so the file must be refused either way
    result = load_or_clean_error(raw_archive({**MEMBERS, name: b"x"}, MANIFEST))
    assert isinstance(result, SessionFileError)
    name = name.split("\x00")[0]  # what zipfile writes
    if ".." in name.split("/") or name.startswith("/") or "\\" in name:
        assert isinstance(result, UnsafeMemberName)


@settings(max_examples=20)
@given(st.sampled_from(sorted(MEMBERS)), st.binary(max_size=16))
def test_duplicate_member_names(member, payload):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        data = raw_archive([*MEMBERS.items(), (member, payload)], manifest_for(MEMBERS))
    assert isinstance(load_or_clean_error(data), UnsafeMemberName)


@settings(max_examples=10)
@given(st.integers(2 << 20, 6 << 20))
def test_oversized_members(size):
    result = load_or_clean_error(raw_archive({**MEMBERS, "ui_state.json": bytes(size)}))
    assert isinstance(result, TooLarge)

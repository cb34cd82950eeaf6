"""Session files (`.wbsession`): the document, the zip format, atomic saves, autosave. No Qt.

    doc = session_to_document(session, graphs=..., training_runs=..., profiles=..., ui_state=...)
    save_session(doc, "work.wbsession")          # atomic
    doc = load_session("work.wbsession")         # raises only SessionFileError subclasses
    session = document_to_session(doc)           # code in tabs (not run), tensors in namespace

Modules: document.py (the data), codec.py (the schema-1 layout), manifest.py, archive.py (zip
limits and names), migrate.py (schema versions), atomic.py, autosave.py, convert.py (Session <->
document), errors.py.
"""

from .archive import DEFAULT_LIMITS, Limits
from .autosave import RECOVERY_DIR_ENV, AutosaveManager, default_recovery_dir
from .convert import document_to_session, session_to_document
from .document import CodeBuffer, SessionDocument, StoredGraph, StoredProfile, StoredRun
from .errors import (
    CorruptMember,
    ManifestError,
    MissingMember,
    NewerVersionError,
    NotASessionFile,
    SessionFileError,
    TooLarge,
    UnknownFormat,
    UnreadableFile,
    UnsafeMemberName,
    UnsupportedValue,
)
from .manifest import FORMAT_NAME
from .migrate import CURRENT_SCHEMA, MIGRATIONS
from .sessionfile import LoadedSession, dumps_session, load_session, read_session, save_session

SUFFIX = ".wbsession"

__all__ = [
    "CURRENT_SCHEMA",
    "DEFAULT_LIMITS",
    "FORMAT_NAME",
    "MIGRATIONS",
    "RECOVERY_DIR_ENV",
    "SUFFIX",
    "AutosaveManager",
    "CodeBuffer",
    "CorruptMember",
    "Limits",
    "LoadedSession",
    "ManifestError",
    "MissingMember",
    "NewerVersionError",
    "NotASessionFile",
    "SessionDocument",
    "SessionFileError",
    "StoredGraph",
    "StoredProfile",
    "StoredRun",
    "TooLarge",
    "UnknownFormat",
    "UnreadableFile",
    "UnsafeMemberName",
    "UnsupportedValue",
    "default_recovery_dir",
    "document_to_session",
    "dumps_session",
    "load_session",
    "read_session",
    "save_session",
    "session_to_document",
]

"""Writing result files so that a crash or a full disk never leaves half of one; file
digests."""
import contextlib
import hashlib
import json
import os
import os.path as osp
import threading
from typing import Any, Iterator


class WriteError(OSError):
    """A result file (checkpoint, json, pseudo-labels) that could not be written, with a
    one-line message naming it, the cause and what was kept. The tools print it as that
    line and exit non-zero; it is an ``OSError``, so callers catching those still do."""


def write_failure(path: str, error: OSError) -> str:
    """``'<path>: could not be written (<cause>)'``, the cause being ``error``'s
    ``strerror`` (e.g. ``No space left on device``) or its message."""
    return f'{path}: could not be written ({error.strerror or error})'


@contextlib.contextmanager
def atomic_path(out_file: str) -> Iterator[str]:
    """A temporary path beside ``out_file`` for the ``with`` block to write: renamed over
    ``out_file`` (``os.replace``, atomic on POSIX) when the block ends, removed when it
    raises, so a reader never sees half a file and a failed or killed write leaves the
    previous file (if any) as it was. Creates the folder.

    Raises:
        WriteError: an ``OSError`` of the block or the rename (disk full, read-only),
            naming ``out_file`` and its cause
    """
    if osp.dirname(out_file):
        os.makedirs(osp.dirname(out_file), exist_ok=True)
    tmp_file = f'{out_file}.tmp{os.getpid()}-{threading.get_ident()}'
    try:
        yield tmp_file
        os.replace(tmp_file, out_file)
    except OSError as error:
        raise WriteError(write_failure(out_file, error)) from error
    finally:
        if osp.exists(tmp_file):
            os.remove(tmp_file)


def dump_json_atomically(data: Any, out_file: str, **dump_kwargs: Any) -> None:
    """``json.dump(data, ...)`` into ``out_file`` through :func:`atomic_path`: a reader
    never sees half a file, and a crash or an ``OSError`` while writing leaves the
    previous file (if any) in place and no temporary file. ``dump_kwargs``:
    ``json.dump``'s (e.g. ``indent``).

    Raises:
        WriteError: the file could not be written (naming it and the cause)
    """
    with atomic_path(out_file) as tmp_file, open(tmp_file, 'w') as f:
        json.dump(data, f, **dump_kwargs)


def file_sha256(path: str) -> str:
    """The SHA-256 of a file's bytes, 64 hex digits."""
    digest = hashlib.sha256()
    with open(path, 'rb') as f:
        for block in iter(lambda: f.read(1 << 20), b''):
            digest.update(block)
    return digest.hexdigest()

"""Files written safely for backups, restores and exports (a temporary file beside the
target, flushed to disk, then renamed into place atomically) and the error they raise."""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from smarketing.errors import InvalidInput, SmarketingError
from smarketing.i18n import _
from smarketing.store.file_modes import private_folder


class BackupError(SmarketingError):
    """A backup, restore or export could not be made; the message says why and what to do."""


def temp_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A fresh hidden name in the target's folder (so the final rename is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}")


def sidecars(path: Path) -> list[Path]:
    """The files SQLite may keep beside ``path`` (WAL, shared memory, journal)."""
    return [Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal")]


def remove(path: Path) -> None:
    """Delete ``path`` and its sidecars where they exist (never raises)."""
    for p in (path, *sidecars(path)):
        with contextlib.suppress(OSError):
            p.unlink(missing_ok=True)


def fsync(path: Path) -> None:
    """Flush a file (or, best effort, a folder) to disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # folders cannot be fsynced everywhere
    finally:
        os.close(fd)


def _exists_error(out: Path) -> InvalidInput:
    return InvalidInput(
        _("{path} already exists: choose another name or pass --overwrite").format(path=out)
    )


def publish(tmp: Path, out: Path, *, overwrite: bool) -> None:
    """Move the finished temporary file into place atomically (never over a file that
    appeared meanwhile unless ``overwrite``)."""
    fsync(tmp)
    if overwrite:
        os.replace(tmp, out)
    else:
        try:
            os.link(tmp, out)
        except FileExistsError:
            raise _exists_error(out) from None
        except OSError:  # a file system without hard links
            if out.exists():
                raise _exists_error(out) from None
            os.replace(tmp, out)
    fsync(out.parent)


def check_out(out: Path, *, overwrite: bool, example: str) -> Path:
    """``out`` as a file to write: not a folder, not there unless ``overwrite``; its folder
    made."""
    out = Path(out)
    if out.is_dir():
        raise InvalidInput(
            _("{path} is a folder: give a file name, e.g. {example}").format(
                path=out, example=out / example
            )
        )
    if out.exists() and not overwrite:
        raise _exists_error(out)
    try:
        private_folder(out.parent)
    except OSError as exc:
        raise BackupError(
            _("cannot create the folder {path}: {problem}").format(
                path=out.parent, problem=exc.strerror
            )
        ) from exc
    return out

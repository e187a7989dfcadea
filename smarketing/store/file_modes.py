"""Files that hold password hashes and CRM data kept private: folders made 0700, files created
0600 (before SQLite opens them, so its -wal, -shm and -journal files, which SQLite gives the
database file's mode, are 0600 too), and the start-up check that names any that are wider.

No process-wide umask change: the app runs inside Streamlit's process, where a umask would
also change every other file it writes; each private file is created with its mode instead.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
#: The files SQLite keeps beside a database.
SIDECARS = ("-wal", "-shm", "-journal")


def private_folder(path: Path) -> Path:
    """``path`` as a folder; every folder this call creates gets mode 0700 (a folder that was
    there keeps its mode: the start-up check warns when it is open to others)."""
    path = Path(path)
    created, walk = [], path
    while not walk.exists() and walk != walk.parent:
        created.append(walk)
        walk = walk.parent
    for folder in reversed(created):  # each made 0700 at once: no moment when it is wider
        with contextlib.suppress(FileExistsError):
            folder.mkdir(mode=PRIVATE_DIR)
    if not path.is_dir():  # a file in the way: mkdir's own error says so
        path.mkdir(parents=True, exist_ok=True)
    return path


def create_private(path: Path) -> bool:
    """Create ``path`` as an empty 0600 file unless it exists; True when it was created. An
    empty file is an empty SQLite database, so SQLite opens it as a new one."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def open_private(path: Path) -> BinaryIO:
    """``path`` opened to write bytes (emptied if there), with mode 0600."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE)
    try:
        os.fchmod(fd, PRIVATE_FILE)
    except OSError:
        os.close(fd)
        raise
    return os.fdopen(fd, "wb")


def copy_private(source: Path | str, target: Path | str) -> None:
    """Copy the bytes of ``source`` to ``target``, created (or emptied) with mode 0600."""
    with open_private(Path(target)) as out, open(source, "rb") as src:
        shutil.copyfileobj(src, out)


@dataclass(frozen=True)
class ModeProblem:
    """A private file or folder that group or others may use."""

    path: Path
    mode: int
    wanted: int

    def __str__(self) -> str:
        what = "folder" if self.wanted == PRIVATE_DIR else "file"
        return (
            f"the {what} {self.path} has mode {self.mode:04o}: group and others may read it, "
            f"and it holds password hashes and CRM data; fix: "
            f"chmod {self.wanted:o} {shlex.quote(str(self.path))}"
        )


def _problem(path: Path, wanted: int) -> ModeProblem | None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    return ModeProblem(path, mode, wanted) if mode & 0o077 else None


def mode_problems(database: Path | None, data_dir: Path) -> list[ModeProblem]:
    """Private files and folders open to group or others: the SQLite database (``database``;
    None for a server database such as PostgreSQL, whose files are the server's) with its
    -wal, -shm and -journal files and the copies a restore keeps beside it, the cookie key,
    and the data folder when the database is in it. Missing files are skipped."""
    if database is None:
        return []
    checks: list[tuple[Path, int]] = [(data_dir / "cookie_key", PRIVATE_FILE)]
    if database.parent.resolve() == Path(data_dir).resolve():
        checks.insert(0, (database.parent, PRIVATE_DIR))
    checks += [(Path(f"{database}{s}"), PRIVATE_FILE) for s in ("", *SIDECARS)]
    checks += [(p, PRIVATE_FILE) for p in sorted(database.parent.glob("*.before-restore-*.db"))]
    seen, found = set(), []
    for path, wanted in checks:
        if path in seen:
            continue
        seen.add(path)
        problem = _problem(path, wanted)
        if problem:
            found.append(problem)
    return found

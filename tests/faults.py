"""Database faults provoked for real: file modes that bind root too, a closed port, a TCP
proxy that cuts a PostgreSQL server off and lets it back, a fresh PostgreSQL database."""

from __future__ import annotations

import contextlib
import ctypes
import os
import random
import socket
import sys
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from smarketing.store.db import make_engine, upgrade_to_head

#: The PostgreSQL server the fault tests create their databases on (as tests/test_postgres.py).
POSTGRES = os.environ.get("SMARKETING_TEST_POSTGRES_URL", "").strip()

needs_postgres = pytest.mark.skipif(
    not POSTGRES and os.environ.get("SMARKETING_REQUIRE_POSTGRES") != "1",
    reason="set SMARKETING_TEST_POSTGRES_URL to a PostgreSQL server to run these",
)

# Linux capabilities that let root ignore file modes (capability.h).
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2
_CAPABILITY_VERSION_3 = 0x20080522


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [
        ("effective", ctypes.c_uint32),
        ("permitted", ctypes.c_uint32),
        ("inheritable", ctypes.c_uint32),
    ]


def _capabilities(libc, new_effective: int | None = None) -> int:
    """The calling thread's effective capabilities (low word); set them first if given."""
    header, data = _CapHeader(_CAPABILITY_VERSION_3, 0), (_CapData * 2)()
    if libc.capget(ctypes.byref(header), data) != 0:
        raise OSError(ctypes.get_errno(), "capget failed")
    if new_effective is not None:
        data[0].effective = new_effective
        if libc.capset(ctypes.byref(header), data) != 0:
            raise OSError(ctypes.get_errno(), "capset failed")
    return data[0].effective


@contextlib.contextmanager
def file_modes_bind() -> Iterator[None]:
    """Inside the block, chmod 444 / 555 stop this test from writing, as they stop the app's
    real (non-root) user.

    Root ignores file modes through CAP_DAC_OVERRIDE. As root, the block drops that
    capability (and CAP_DAC_READ_SEARCH) from the calling thread's effective set; threads
    started inside inherit it (AppTest's script thread, the CLI in-process), and the
    capabilities stay permitted, so they are restored afterwards. Skips where that cannot
    be done.
    """
    if os.geteuid() != 0:
        yield
        return
    if not sys.platform.startswith("linux"):
        pytest.skip("running as root, where chmod does not stop writes, and not on Linux")
    libc = ctypes.CDLL(None, use_errno=True)
    try:
        saved = _capabilities(libc)
        mask = (1 << _CAP_DAC_OVERRIDE) | (1 << _CAP_DAC_READ_SEARCH)
        _capabilities(libc, saved & ~mask)
    except OSError as exc:
        pytest.skip(f"running as root, where chmod does not stop writes, and {exc}")
    try:
        yield
    finally:
        _capabilities(libc, saved)


def closed_port() -> int:
    """A TCP port on 127.0.0.1 where nothing listens (a database server that is down)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _migrated(path: Path) -> Path:
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()  # closed cleanly: no -wal / -shm left beside it
    return path


def _file_in_the_way(tmp: Path) -> Path:
    (tmp / "a-file").write_text("not a folder")
    return tmp / "a-file" / "data" / "smarketing.db"


def _uncreatable_folder(tmp: Path) -> Path:
    (tmp / "locked").mkdir()
    (tmp / "locked").chmod(0o555)
    return tmp / "locked" / "data" / "smarketing.db"


def _read_only_file(tmp: Path) -> Path:
    path = _migrated(tmp / "smarketing.db")
    path.chmod(0o444)
    return path


def _read_only_folder(tmp: Path) -> Path:
    (tmp / "shared").mkdir()
    path = _migrated(tmp / "shared" / "smarketing.db")
    (tmp / "shared").chmod(0o555)
    return path


def _new_file_in_read_only_folder(tmp: Path) -> Path:
    (tmp / "shared").mkdir(mode=0o555)
    return tmp / "shared" / "smarketing.db"


def _garbage(tmp: Path) -> Path:
    path = tmp / "smarketing.db"
    path.write_bytes(random.Random(8).randbytes(8192))
    return path


def _a_folder(tmp: Path) -> Path:
    (tmp / "smarketing.db").mkdir()
    return tmp / "smarketing.db"


@dataclass(frozen=True)
class StartFault:
    """A database that cannot be used at start, and what the message must say."""

    id: str
    make: Callable[[Path], Path]  # tmp folder -> the database path
    says: str
    modes: bool = False  # needs file_modes_bind() (chmod)
    read_only_url: bool = False  # opened with ?mode=ro

    def url(self, tmp: Path) -> tuple[str, Path]:
        """The SQLite URL of the fault and the database path."""
        path = self.make(tmp)
        if self.read_only_url:
            return f"sqlite:///file:{path}?mode=ro&uri=true", path
        return f"sqlite:///{path}", path


START_FAULTS = [
    StartFault("file-in-the-way", _file_in_the_way, "a file is in the way"),
    StartFault("folder-not-creatable", _uncreatable_folder, "Permission denied", modes=True),
    StartFault("file-chmod-444", _read_only_file, "is read-only for this user", modes=True),
    StartFault("folder-chmod-555", _read_only_folder, "-wal and", modes=True),
    StartFault(
        "new-file-in-folder-555",
        _new_file_in_read_only_folder,
        "SQLite must create files there",
        modes=True,
    ),
    StartFault("url-mode-ro", _read_only_file, "read-only (mode=ro)", read_only_url=True),
    StartFault("garbage-bytes", _garbage, "is not a usable SQLite database"),
    StartFault("path-is-a-folder", _a_folder, "is a folder, not a SQLite database file"),
]


@contextlib.contextmanager
def start_fault_url(fault: StartFault, tmp: Path) -> Iterator[tuple[str, Path]]:
    """Set up ``fault`` in ``tmp``; yields (URL, path) with file modes binding when needed,
    and makes ``tmp`` removable afterwards."""
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        url, path = fault.url(tmp)
        with file_modes_bind() if fault.modes else contextlib.nullcontext():
            yield url, path
    finally:
        for folder, _dirs, _files in os.walk(tmp):
            os.chmod(folder, 0o755)


class TcpProxy:
    """127.0.0.1:port forwarding to a server; ``cut()`` takes the server away (no listener,
    every open connection dropped), ``restore()`` brings it back on the same port."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._lock = threading.Lock()
        self._open: set[socket.socket] = set()
        self._listener: socket.socket | None = None
        self.port = 0
        self.restore()

    def restore(self) -> None:
        """Listen (again) on the proxy's port."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen()
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """The server is gone: stop listening and drop every connection."""
        if self._listener is not None:
            with contextlib.suppress(OSError):
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            sockets, self._open = self._open, set()
        for sock in sockets:
            self._close(sock)

    def url(self, url: str) -> str:
        """``url`` with host and port replaced by the proxy's."""
        parsed = make_url(url).set(host="127.0.0.1", port=self.port)
        return parsed.render_as_string(hide_password=False)

    @staticmethod
    def _close(sock: socket.socket) -> None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open |= {client, upstream}
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            self._close(source)
            self._close(sink)


class PostgresDatabase:
    """A fresh database on the POSTGRES server (dropped by ``drop()``) and an admin engine to
    end its connections."""

    def __init__(self) -> None:
        if not POSTGRES:
            pytest.fail("SMARKETING_REQUIRE_POSTGRES=1 but SMARKETING_TEST_POSTGRES_URL is unset")
        self.name = f"smk_fault_{uuid.uuid4().hex[:12]}"
        self.admin = create_engine(POSTGRES, isolation_level="AUTOCOMMIT")
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{self.name}"'))
        self.url = make_url(POSTGRES).set(database=self.name).render_as_string(False)

    def terminate_connections(self) -> int:
        """End every connection to the database (as a server restart would); how many."""
        with self.admin.connect() as conn:
            return len(
                conn.execute(
                    text(
                        "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                        "WHERE datname = :name AND pid <> pg_backend_pid()"
                    ),
                    {"name": self.name},
                ).all()
            )

    def terminate(self, pid: int) -> None:
        """End one backend, waiting until it is gone."""
        with self.admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})

    def drop(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
        self.admin.dispose()

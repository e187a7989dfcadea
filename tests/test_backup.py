"""Backups (SQLite online backup), restores and the export zip.

Backup and restore handle SQLite files, so their tests make their own SQLite files whatever
the suite's database; the export runs on the suite's database (SQLite or PostgreSQL).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sqlite3
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func
from sqlmodel import Session, select

from smarketing import demo
from smarketing.errors import DatabaseUnavailable, InvalidInput
from smarketing.ops.backup import InvalidBackup, UseDatabaseTools, backup_sqlite
from smarketing.ops.export import export_zip, slugify
from smarketing.ops.files import BackupError
from smarketing.ops.restore import RestoreCancelled, restore_sqlite
from smarketing.store import db
from smarketing.store.models import (
    Action,
    ActionReview,
    AuditEntry,
    BriefVersion,
    Campaign,
    Decision,
    Definition,
    Lead,
    Meeting,
    MeetingNote,
    Persona,
    PersonaVersion,
)
from tests.conftest import NOW

HEAD = "0010"
PG_URL = "postgresql+psycopg://smk:s3cret-pw@db.example.com:5432/smarketing"
#: the tables a restore must bring back exactly (audit_log and setting gain the restore's row)
CHECKED = ("definition", "decision", "action", "meeting", "meeting_note", "persona", "lead")


# --- helpers -------------------------------------------------------------------------------


def _new_db(tmp_path: Path, name: str = "live") -> str:
    url = f"sqlite:///{tmp_path / f'{name}.db'}"
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    engine.dispose()
    return url


def _path(url: str) -> Path:
    return Path(url.removeprefix("sqlite:///"))


def _add_decision(url: str, text: str) -> None:
    engine = db.make_engine(url)
    with db.session_scope(engine) as s:
        s.add(Decision(text=text, decided_by="both", decided_on=date(2026, 11, 16), created_by="t"))
    engine.dispose()


def _rows(path: Path, table: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr)
    finally:
        conn.close()


def _texts(path: Path) -> list[str]:
    """The decisions' texts, oldest first."""
    conn = sqlite3.connect(path)
    try:
        return [row[0] for row in conn.execute("SELECT text FROM decision ORDER BY id")]
    finally:
        conn.close()


def _snapshot(path: Path) -> dict[str, list[tuple]]:
    return {t: _rows(path, t) for t in CHECKED}


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir())


@pytest.fixture
def demo_db(tmp_path):
    """A SQLite file holding a small demo company."""
    url = _new_db(tmp_path)
    engine = db.make_engine(url)
    demo.build_demo(engine, leads=150, months=2, now=NOW, seed=3)
    engine.dispose()
    return url


# --- backup --------------------------------------------------------------------------------


def test_backup_is_consistent_while_a_write_transaction_is_open_in_wal_mode(tmp_path):
    url = _new_db(tmp_path)
    live = _path(url)
    _add_decision(url, "committed and checkpointed")
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")  # keep what follows in the WAL
    assert writer.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    insert = (
        "INSERT INTO decision (text, decided_by, decided_on, created_by, created_at, is_demo) "
        "VALUES (?, 'both', '2026-11-17', 't', '2026-11-17 09:00:00.000000', 0)"
    )
    writer.execute(insert, ("committed, still in the WAL",))
    assert Path(f"{live}-wal").stat().st_size > 0
    writer.execute("BEGIN IMMEDIATE")
    writer.execute(insert, ("not committed",))

    result = backup_sqlite(url, tmp_path / "copy.db")  # does not wait for the writer

    writer.execute("COMMIT")  # nor does the writer wait for the backup
    writer.close()
    copy = tmp_path / "copy.db"
    assert _texts(copy) == ["committed and checkpointed", "committed, still in the WAL"]
    assert result.path == copy and result.size == copy.stat().st_size
    assert result.tables["decision"] == 2 and result.revision == HEAD
    assert result.rows == sum(result.tables.values())
    conn = sqlite3.connect(copy)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"  # one self-contained file
    conn.close()
    assert not any(name.startswith(".") for name in _folder(copy))  # no temporary files left


def test_backup_refuses_to_overwrite_unless_asked(tmp_path):
    url = _new_db(tmp_path)
    out = tmp_path / "backup.db"
    out.write_text("an older backup")
    with pytest.raises(InvalidInput, match=r"backup\.db already exists: .* --overwrite"):
        backup_sqlite(url, out)
    assert out.read_text() == "an older backup"
    result = backup_sqlite(url, out, overwrite=True)
    assert result.revision == HEAD and out.read_bytes().startswith(b"SQLite format 3\x00")


@pytest.mark.parametrize(
    ("out", "message"),
    [
        ("folder", r"is a folder: give a file name"),  # a folder is not a file name
        ("live.db", r"is the database itself"),  # never over the live database
    ],
)
def test_backup_refuses_bad_targets(tmp_path, out, message):
    url = _new_db(tmp_path)
    (tmp_path / "folder").mkdir()
    before = _digest(_path(url))
    with pytest.raises(InvalidInput, match=message):
        backup_sqlite(url, tmp_path / out, overwrite=True)
    assert _digest(_path(url)) == before


def test_backup_of_a_missing_database_creates_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'missing.db'}"
    with pytest.raises(DatabaseUnavailable, match=r"no database at .*missing\.db"):
        backup_sqlite(url, tmp_path / "out.db")
    assert list(tmp_path.iterdir()) == []


def test_backup_creates_the_target_folder(tmp_path):
    url = _new_db(tmp_path)
    result = backup_sqlite(url, tmp_path / "backups" / "2026" / "smarketing.db")
    assert result.path.is_file()


def test_backup_of_an_engine(tmp_path):
    url = _new_db(tmp_path)
    engine = db.make_engine(url)
    assert backup_sqlite(engine, tmp_path / "copy.db").revision == HEAD
    engine.dispose()


@pytest.mark.parametrize("restoring", [False, True])
def test_postgresql_gives_the_pg_dump_and_pg_restore_commands(tmp_path, restoring):
    target = tmp_path / "smarketing.dump"
    with pytest.raises(UseDatabaseTools) as info:
        if restoring:
            restore_sqlite(target, PG_URL)
        else:
            backup_sqlite(PG_URL, target)
    message = str(info.value)
    shown = "'postgresql://smk:***@db.example.com:5432/smarketing'"
    assert f"(umask 077 && pg_dump --format=custom --file {target} {shown})" in message
    assert f"pg_restore --clean --if-exists --no-owner --dbname {shown} {target}" in message
    assert "s3cret" not in message and "psycopg" not in message
    assert "PGPASSWORD" in message
    assert not target.exists()


# --- restore -------------------------------------------------------------------------------


def test_backup_change_restore_brings_the_data_back(tmp_path, demo_db):
    live = _path(demo_db)
    result = backup_sqlite(demo_db, tmp_path / "backup.db")
    at_backup = _snapshot(live)
    assert result.tables["lead"] == 150

    _add_decision(demo_db, "made after the backup")
    engine = db.make_engine(demo_db)
    with db.session_scope(engine) as s:
        s.delete(s.exec(select(MeetingNote)).first())
        s.exec(select(Persona)).first().goals = "changed after the backup"
    engine.dispose()
    changed = _snapshot(live)
    assert changed != at_backup

    restored = restore_sqlite(tmp_path / "backup.db", demo_db, now=NOW)

    assert _snapshot(live) == at_backup
    assert restored.target == live and restored.revision == HEAD and not restored.migrated
    assert restored.backup.tables["lead"] == 150
    # the database as it was just before, beside it, named after the time (Europe/Oslo)
    assert restored.safety_copy == tmp_path / "live.before-restore-20261118T130000.db"
    assert _snapshot(restored.safety_copy) == changed
    assert not any(name.startswith(".") for name in _folder(live))  # no staging files left
    engine = db.make_engine(demo_db)  # the app opens it as usual, and the restore is audited
    with Session(engine) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "restore")).one()
        assert entry.actor == "cli" and json.loads(entry.detail) == {"backup": "backup.db"}
        assert s.exec(select(func.count()).select_from(Lead)).one() == 150
    engine.dispose()


def test_restore_keeps_what_sat_in_the_wal_in_the_safety_copy(tmp_path):
    url = _new_db(tmp_path)
    backup_sqlite(url, tmp_path / "backup.db")
    live = _path(url)
    writer = sqlite3.connect(live, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute(
        "INSERT INTO decision (text, decided_by, decided_on, created_by, created_at, is_demo) "
        "VALUES ('only in the WAL', 'both', '2026-11-17', 't', '2026-11-17 09:00:00', 0)"
    )
    crashed = tmp_path / "crashed"  # what an app that crashed leaves: the file and its WAL
    crashed.mkdir()
    for name in ("live.db", "live.db-wal"):
        (crashed / name).write_bytes((tmp_path / name).read_bytes())
    writer.close()
    assert Path(f"{crashed / 'live.db'}-wal").stat().st_size > 0

    result = restore_sqlite(tmp_path / "backup.db", f"sqlite:///{crashed / 'live.db'}", now=NOW)

    assert _texts(crashed / "live.db") == []  # the old WAL was not replayed into the backup
    assert _texts(result.safety_copy) == ["only in the WAL"]
    assert sorted(p.name for p in crashed.iterdir()) == [
        "live.before-restore-20261118T130000.db",
        "live.db",
    ]


def test_restore_is_refused_while_the_app_has_the_database_open(tmp_path, demo_db):
    backup_sqlite(demo_db, tmp_path / "backup.db")
    _add_decision(demo_db, "kept")
    live = _path(demo_db)
    before, files = _snapshot(live), _folder(live)
    app = db.make_engine(demo_db)
    with app.connect() as conn:  # like the running app's pooled connection
        conn.exec_driver_sql("SELECT count(*) FROM decision").fetchall()
        with pytest.raises(BackupError, match=r"is in use: stop the app .* first"):
            restore_sqlite(tmp_path / "backup.db", demo_db, now=NOW)
    app.dispose()
    assert _snapshot(live) == before and _folder(live) == files


def test_restore_migrates_an_older_backup(tmp_path):
    old_url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(old_url)
    command.upgrade(db._alembic_config(engine), "0001")
    engine.dispose()
    conn = sqlite3.connect(tmp_path / "old.db")
    conn.execute(
        "INSERT INTO decision (text, decided_by, decided_on, created_by, created_at, is_demo) "
        "VALUES ('from 0001', 'both', '2026-01-05', 't', '2026-01-05 09:00:00', 0)"
    )
    conn.commit()
    conn.close()
    url = _new_db(tmp_path)
    result = restore_sqlite(tmp_path / "old.db", url, now=NOW)
    assert (result.backup.revision, result.revision, result.migrated) == ("0001", HEAD, True)
    engine = db.make_engine(url)
    assert db.current_revision(engine) == HEAD
    with Session(engine) as s:
        assert s.exec(select(Decision.text)).all() == ["from 0001"]
    engine.dispose()


def _not_sqlite(path: Path, good: Path) -> None:
    path.write_text("id,name\n1,not a database\n")


def _no_schema(path: Path, good: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.commit()
    conn.close()


def _truncated(path: Path, good: Path) -> None:
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _header_only(path: Path, good: Path) -> None:
    path.write_bytes(good.read_bytes()[:50])


def _empty(path: Path, good: Path) -> None:
    path.write_bytes(b"")


def _from_the_future(path: Path, good: Path) -> None:
    path.write_bytes(good.read_bytes())
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()


def _missing(path: Path, good: Path) -> None:
    pass


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (_not_sqlite, r"is not a SQLite database"),  # e.g. a CSV picked by mistake
        (_empty, r"is not a SQLite database"),  # an empty file
        (_no_schema, r"not a smarketing one \(no alembic_version table\)"),  # another app's
        (_truncated, r"integrity check|cannot be read"),  # a copy cut short
        (_header_only, r"integrity check|cannot be read"),  # only the first bytes
        (_from_the_future, r"schema 9999, which this version of smarketing does not know"),
        (_missing, r"no backup file at"),  # a typo in the name
    ],
)
def test_a_bad_backup_is_refused_and_the_database_left_as_it_was(tmp_path, demo_db, make, message):
    good = backup_sqlite(demo_db, tmp_path / "good.db").path
    bad = tmp_path / "bad.db"
    make(bad, good)
    live = _path(demo_db)
    before, files = _snapshot(live), _folder(live)
    with pytest.raises(InvalidBackup, match=message):
        restore_sqlite(bad, demo_db, now=NOW)
    assert _snapshot(live) == before
    assert _folder(live) == files  # no safety copy, no staging file left behind


def test_restore_cancelled_at_the_question_changes_nothing(tmp_path, demo_db):
    backup_sqlite(demo_db, tmp_path / "backup.db")
    _add_decision(demo_db, "kept")
    live = _path(demo_db)
    before, files = _snapshot(live), _folder(live)
    asked = []

    def no(info):
        asked.append(info)
        return False

    with pytest.raises(RestoreCancelled, match="nothing was changed"):
        restore_sqlite(tmp_path / "backup.db", demo_db, confirm=no)
    assert asked[0].tables["lead"] == 150 and asked[0].revision == HEAD
    assert _snapshot(live) == before and _folder(live) == files


def test_restore_into_a_new_place_needs_no_safety_copy(tmp_path, demo_db):
    backup_sqlite(demo_db, tmp_path / "backup.db")
    url = f"sqlite:///{tmp_path / 'new' / 'smarketing.db'}"
    result = restore_sqlite(tmp_path / "backup.db", url)
    assert result.safety_copy is None
    assert _snapshot(_path(url)) == _snapshot(_path(demo_db))


def test_restore_refuses_the_database_itself(tmp_path):
    url = _new_db(tmp_path)
    with pytest.raises(InvalidInput, match="is the database itself"):
        restore_sqlite(_path(url), url)


# --- export --------------------------------------------------------------------------------


@pytest.fixture
def dataset(engine):
    """A small demo company plus what the demo lacks: a review, a second definition version,
    a second persona version, an unpublished draft, a meeting closed without minutes, text
    that a spreadsheet would read as a formula."""
    demo.build_demo(engine, leads=150, months=2, now=NOW, seed=3)
    at = NOW - timedelta(days=1)
    with db.session_scope(engine) as s:
        meeting = Meeting(
            kind="weekly",
            title="Ekstra møte: Ærlig prat",
            held_on=date(2026, 11, 17),
            status="closed",
            closed_at=at,
            created_by="maria.m",
        )
        s.add(meeting)
        s.flush()
        note = "=SUM(A1:A9) looked odd"
        s.add(MeetingNote(meeting_id=meeting.id, step="Scorecard", author="sam.s", body=note))
        action = s.exec(select(Action).order_by(Action.id)).first()
        s.add(
            ActionReview(
                action_id=action.id,
                meeting_id=meeting.id,
                outcome="carried_over",
                note="waiting for the CRM admin",
                reviewed_by="sam.s",
            )
        )
        s.add(
            Decision(
                meeting_id=meeting.id,
                text="Hold the triage at 08:30.",
                decided_by="both",
                decided_on=date(2026, 11, 17),
                created_by="maria.m",
            )
        )
        old = s.exec(select(Definition).order_by(Definition.key, Definition.version.desc())).first()
        s.add(
            Definition(
                key=old.key,
                version=old.version + 1,
                term=old.term,
                category=old.category,
                position=old.position,
                owner_team="both",
                body="Version two of the definition.",
                created_by="maria.m",
            )
        )
        persona = s.exec(select(Persona).order_by(Persona.name)).first()
        persona.version, persona.goals = persona.version + 1, "Goals as saved in the new version."
        card = {f: getattr(persona, f) for f in ("name", "icon", "role", "goals")}
        s.add(
            PersonaVersion(
                persona_id=persona.id,
                version=persona.version,
                data=json.dumps(card),
                saved_by="maria.m",
            )
        )
        s.add(
            Campaign(
                name="Draft: spring webinar",
                key_message="A draft nobody has seen",
                brief_status="draft",
                updated_by="ida.l",
            )
        )
    return engine


def _zip(path: Path) -> zipfile.ZipFile:
    return zipfile.ZipFile(path)


def _csv(z: zipfile.ZipFile, name: str) -> list[dict]:
    raw = z.read(name)
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM that makes Excel read UTF-8
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def _count(s: Session, model, *where) -> int:
    return s.exec(select(func.count()).select_from(model).where(*where)).one()


def test_export_zip_holds_every_file_and_row(tmp_path, dataset):
    out = tmp_path / "export.zip"
    with Session(dataset) as s:
        result = export_zip(s, out, now=NOW)
        closed = s.exec(select(Meeting).where(Meeting.status == "closed")).all()
        personas = s.exec(select(Persona)).all()
        campaigns = s.exec(select(Campaign).where(Campaign.brief_version > 0)).all()
        counts = {
            "meeting-notes.csv": _count(s, MeetingNote),
            "decisions.csv": _count(s, Decision),
            "actions.csv": _count(s, Action),
            "action-reviews.csv": _count(s, ActionReview),
            "definitions.csv": _count(s, Definition),
            "personas.csv": _count(s, PersonaVersion),
            "campaign-briefs.csv": _count(s, BriefVersion) + 1,  # + the draft
        }
    z = _zip(out)
    names = set(z.namelist())
    expected = {"README.txt", "shared-language.md", *counts}
    expected |= {f"personas/{slugify(p.name)}.md" for p in personas}
    expected |= {f"briefs/{slugify(c.name)}.md" for c in campaigns}
    expected |= {f"minutes/{m.held_on.isoformat()}-{slugify(m.title)}.md" for m in closed}
    assert names == expected and sorted(names) == result.files
    assert "minutes/2026-11-17-ekstra-mote-aerlig-prat.md" in names
    assert result.rows == counts and result.size == out.stat().st_size
    assert not any("lead" in n and "csv" in n for n in names)  # leads come from the CRM
    assert z.testzip() is None

    readme = z.read("README.txt").decode()
    assert "2026-11-18T12:00:00+00:00 (2026-11-18 13:00 Europe/Oslo)" in readme
    for name in names - {"README.txt"}:
        assert name in readme


def test_export_csv_contents(tmp_path, dataset):
    out = tmp_path / "export.zip"
    with Session(dataset) as s:
        export_zip(s, out, now=NOW)
        note = s.exec(select(MeetingNote).order_by(MeetingNote.id)).first()
        meeting = s.get(Meeting, note.meeting_id)
    z = _zip(out)

    notes = _csv(z, "meeting-notes.csv")
    first = next(r for r in notes if r["note"] == note.body)
    assert (first["meeting"], first["meeting_date"]) == (meeting.title, meeting.held_on.isoformat())
    assert datetime.fromisoformat(first["created_at"]).tzinfo == UTC  # ISO, in UTC
    odd = next(r for r in notes if "SUM" in r["note"])
    assert odd["note"] == "'=SUM(A1:A9) looked odd"  # a spreadsheet shows it as text

    decisions = _csv(z, "decisions.csv")
    assert any(r["decision"] == "Hold the triage at 08:30." for r in decisions)

    actions = _csv(z, "actions.csv")
    reviewed = [r for r in actions if "waiting for the CRM admin" in r["reviews"]]
    assert len(reviewed) == 1
    assert reviewed[0]["reviews"].splitlines()[-1] == (
        "2026-11-17 Ekstra møte: Ærlig prat: carried over — waiting for the CRM admin"
    )
    reviews = _csv(z, "action-reviews.csv")
    mine = [r for r in reviews if r["note"] == "waiting for the CRM admin"]
    assert [(r["action"], r["outcome"]) for r in mine] == [(reviewed[0]["action"], "carried_over")]
    assert (
        mine[0]["meeting"] == "Ekstra møte: Ærlig prat"
        and mine[0]["action_id"] == reviewed[0]["id"]
    )

    definitions = _csv(z, "definitions.csv")
    key = next(r["key"] for r in definitions if r["definition"] == "Version two of the definition.")
    mine = sorted((int(r["version"]), r["current"]) for r in definitions if r["key"] == key)
    assert [v for v, _ in mine] == list(range(1, len(mine) + 1)) and len(mine) >= 2
    assert [c for _, c in mine] == ["no"] * (len(mine) - 1) + ["yes"]  # every version, one current

    personas = _csv(z, "personas.csv")
    new = [r for r in personas if r["goals"] == "Goals as saved in the new version."]
    assert len(new) == 1 and new[0]["current"] == "yes"
    flags = [r["current"] for r in personas if r["persona"] == new[0]["persona"]]
    assert flags == ["no"] * (len(flags) - 1) + ["yes"] and len(flags) >= 2  # flattened versions

    briefs = _csv(z, "campaign-briefs.csv")
    draft = [r for r in briefs if r["status"] == "draft"]
    assert [(d["campaign"], d["key_message"], d["version"]) for d in draft] == [
        ("Draft: spring webinar", "A draft nobody has seen", "")
    ]
    assert {r["status"] for r in briefs} == {"published", "draft"}
    assert all(r["key_message"] for r in briefs)


def test_export_markdown_contents(tmp_path, dataset):
    out = tmp_path / "export.zip"
    with Session(dataset) as s:
        export_zip(s, out, now=NOW)
        persona = s.exec(select(Persona).order_by(Persona.name)).first()
        campaign = s.exec(select(Campaign).where(Campaign.brief_version > 0)).first()
        weekly = s.exec(
            select(Meeting).where(Meeting.status == "closed", Meeting.minutes.is_not(None))
        ).first()
    z = _zip(out)

    language = z.read("shared-language.md").decode()
    assert "Version two of the definition." in language
    card = z.read(f"personas/{slugify(persona.name)}.md").decode()
    assert card.startswith(f"# {persona.icon} {persona.name}")
    assert "Goals as saved in the new version." in card
    brief = z.read(f"briefs/{slugify(campaign.name)}.md").decode()
    assert campaign.name in brief and campaign.key_message in brief
    assert "A draft nobody has seen" not in "".join(
        z.read(n).decode() for n in z.namelist() if n.startswith("briefs/")
    )
    minutes = z.read(f"minutes/{weekly.held_on.isoformat()}-{slugify(weekly.title)}.md").decode()
    assert minutes.startswith(f"# {weekly.title}")
    assert weekly.minutes.splitlines()[-1] in minutes
    # a meeting closed without stored minutes gets them from its notes and decisions
    built = z.read("minutes/2026-11-17-ekstra-mote-aerlig-prat.md").decode()
    assert built.startswith("# Ekstra møte: Ærlig prat\n\nHeld on 2026-11-17.")
    assert "=SUM(A1:A9) looked odd" in built and "- Decision: Hold the triage at 08:30." in built


def test_export_of_an_empty_database_and_overwrite(tmp_path, engine):
    out = tmp_path / "export.zip"
    with Session(engine) as s:
        result = export_zip(s, out, now=NOW)
        z = _zip(out)
        assert set(z.namelist()) == {"README.txt", *result.rows}
        assert set(result.rows.values()) == {0}
        assert _csv(z, "decisions.csv") == []
        z.close()
        with pytest.raises(InvalidInput, match="already exists"):
            export_zip(s, out, now=NOW)
        assert export_zip(s, out, now=NOW, overwrite=True).path == out


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Founder Frida", "founder-frida"),
        ("Ærlig prat på Østlandet", "aerlig-prat-pa-ostlandet"),  # Norwegian letters folded
        ("Webinar: the weekly smarketing meeting", "webinar-the-weekly-smarketing-meeting"),
        ("???", "untitled"),  # nothing left: a fallback name
        ("a" * 80, "a" * 60),  # kept short
    ],
)
def test_slugify(text, slug):
    assert slugify(text) == slug


def test_the_export_and_its_errors_in_norwegian(tmp_path):
    """The export's texts for people follow the language speaking; its CSV columns do not."""
    from smarketing import i18n
    from smarketing.ops.export import NOTE_HEADER, shared_language_md
    from smarketing.ops.files import check_out

    taken = tmp_path / "eksport.zip"
    taken.write_bytes(b"")
    with i18n.language("nb"):
        assert shared_language_md([], "2026-11-18 13:00 Europe/Oslo") == (
            "# Felles språk\n\nGjeldende versjon av hvert avtalte begrep, "
            "per 2026-11-18 13:00 Europe/Oslo."
        )
        with pytest.raises(InvalidInput) as info:
            check_out(taken, overwrite=False, example="smarketing-export.zip")
    assert str(info.value) == (
        f"{taken} finnes allerede: velg et annet navn eller bruk --overwrite"
    )
    assert NOTE_HEADER[:3] == ["meeting_id", "meeting", "meeting_date"]

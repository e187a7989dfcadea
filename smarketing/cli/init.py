"""`python -m smarketing init`: create the database, or upgrade its schema to the newest
migration."""

from __future__ import annotations

from smarketing.i18n import _

COMMANDS = ("init",)


def add_parser(sub, common) -> None:
    """Register `init`."""
    sub.add_parser("init", parents=[common], help=_("create or upgrade the database schema"))


def run(args, engine_for) -> int:
    """Upgrade (or create) the schema and say where the database is and at which revision."""
    from smarketing.store import db

    engine = engine_for(args)
    print(
        _("database ready at {url}, schema {revision}").format(
            url=db.url_for_display(str(engine.url)), revision=db.current_revision(engine)
        )
    )
    return 0

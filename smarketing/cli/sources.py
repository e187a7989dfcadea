"""`python -m smarketing sources …` (CRM data sources) and `sync` (read them now)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from smarketing import formatting
from smarketing.cli.args import error_line, iso_datetime, now_from, progress_printer
from smarketing.i18n import _

COMMANDS = ("sources", "sync")
KINDS = ("hubspot", "pipedrive", "salesforce")  # smarketing.connectors.KINDS (a test checks)


def add_parser(sub, common) -> None:
    """Register `sources` and `sync`."""
    p = sub.add_parser(
        "sources",
        parents=[common],
        help=_("CRM data sources: add, list, test, change, map fields"),
        description=_(
            "The CRM accounts Smarketing syncs by itself. A source names where its "
            "token is read from (an environment variable, or secrets:KEY in "
            ".streamlit/secrets.toml), never the token itself."
        ),
    )
    acts = p.add_subparsers(dest="sources_action", metavar="ACTION", required=True)
    add = acts.add_parser("add", help=_("add a source"))
    add.add_argument("name", help=_("a name for the source, e.g. hubspot"))
    add.add_argument("--kind", required=True, choices=KINDS, help=_("which CRM"))
    add.add_argument(
        "--token-env",
        required=True,
        metavar="VAR",
        help=_("the environment variable (or secrets:KEY) that holds the token"),
    )
    add.add_argument("--base-url", metavar="URL", help=_("the API's address (default: the CRM's)"))
    add.add_argument(
        "--every", type=int, default=15, metavar="MINUTES", help=_("sync every N minutes (15)")
    )
    add.add_argument(
        "--webhook-secret-env",
        metavar="VAR",
        help=_("HubSpot: the variable holding the app's client secret (webhook signatures)"),
    )
    acts.add_parser("list", help=_("the sources, their schedule and last sync"))
    test = acts.add_parser("test", help=_("check that the source's token reaches its account"))
    test.add_argument("name")
    change = acts.add_parser("set", help=_("change a source's settings"))
    change.add_argument("name")
    change.add_argument("--token-env", metavar="VAR")
    change.add_argument("--base-url", metavar="URL", help=_('"" for the CRM\'s own'))
    change.add_argument("--every", type=int, metavar="MINUTES")
    change.add_argument("--webhook-secret-env", metavar="VAR")
    state = change.add_mutually_exclusive_group()
    state.add_argument("--pause", action="store_true", help=_("stop syncing it"))
    state.add_argument("--resume", action="store_true", help=_("sync it again"))
    mapping = acts.add_parser(
        "mapping", help=_("show the field mapping, or change it with --set FIELD=TARGET")
    )
    mapping.add_argument("name")
    mapping.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="FIELD=TARGET",
        help=_('map an API field to a lead field ("FIELD=" for not imported); repeatable'),
    )
    mapping.add_argument("--file", type=Path, help=_("a JSON file {API field: lead field}"))

    s = sub.add_parser(
        "sync",
        parents=[common],
        help=_("sync CRM sources now (all enabled ones, or NAME)"),
        description=_(
            "Read what changed in the CRM since the last sync and store it by the "
            "import's rules. Prints fetched/inserted/updated/unchanged/rejected like import."
        ),
    )
    s.add_argument("name", nargs="?", help=_("the source (default: every enabled source)"))
    s.add_argument("--full", action="store_true", help=_("read everything, not only changes"))
    s.add_argument("--dry-run", action="store_true", help=_("read and count; write nothing"))
    s.add_argument(
        "--remove-demo",
        action="store_true",
        help=_("remove the demo company first (a real sync refuses while it is there)"),
    )
    s.add_argument(
        "--now",
        type=iso_datetime,
        help=_("the time the sync is recorded at (ISO 8601 with offset; default now)"),
    )


def _print_list(engine) -> int:
    from sqlmodel import Session

    from smarketing.data_in.sources import source_statuses
    from smarketing.formatting import local_time

    with Session(engine) as s:
        rows = source_statuses(s)
    if not rows:
        print(_("No data sources yet: python -m smarketing sources add NAME --kind hubspot …"))
        return 0
    for r in rows:
        state = "" if r.enabled else _(" (paused)")
        last = (
            _("last sync {when}: {status}").format(
                when=local_time(r.last_run_at), status=r.last_status
            )
            if r.last_run_at
            else _("never synced")
        )
        print(
            _("{name}{state}: {label}, token from {where}, every {minutes} min; {last}").format(
                name=r.name,
                state=state,
                label=r.label,
                where=r.token_from,
                minutes=r.every_minutes,
                last=last,
            )
        )
        if r.last_status == "failed" and r.last_message:
            print("  " + error_line(r.last_message))
    return 0


def _mapping(args, engine) -> int:
    from sqlmodel import Session

    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.data_in.formats import SPECS, target_label
    from smarketing.data_in.sources import format_of, get_source, mapping_changes, set_mapping

    with Session(engine) as s:
        source = get_source(s, args.name)
        changes = dict(mapping_changes(source))
        if args.file:
            try:
                loaded = json.loads(args.file.read_text(encoding="utf-8"))
            except (OSError, ValueError) as exc:
                print(error_line(f"{args.file}: {exc}"), file=sys.stderr)
                return 2
            if not isinstance(loaded, dict):
                problem = _("{path}: expected an object {{field: target}}").format(path=args.file)
                print(error_line(problem), file=sys.stderr)
                return 2
            changes.update({str(k): str(v or "") for k, v in loaded.items()})
        for item in args.set:
            field, sep, target = item.partition("=")
            if not sep or not field.strip():
                problem = _("--set {item!r}: expected FIELD=TARGET").format(item=item)
                print(error_line(problem), file=sys.stderr)
                return 2
            changes[field.strip()] = target.strip()
        if args.file or args.set:
            source = set_mapping(s, args.name, changes, actor=CLI_ACTOR)
        fmt = format_of(source)
        mine = mapping_changes(source)
    print(
        _("{name}: read with the {format} format's field tables").format(name=args.name, format=fmt)
    )
    if fmt in SPECS:
        for target, names in SPECS[fmt].columns.items():
            api = [n for n in names if n == n.strip() and " " not in n] or list(names[:1])
            print(f"  {target_label(target)}: {', '.join(api[:3])}")
    if mine:
        print(_("changes:"))
        for field, target in sorted(mine.items()):
            print(f"  {field} -> {target_label(target) if target else _('not imported')}")
    return 0


def _sources(args, engine_for) -> int:
    from sqlmodel import Session

    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.data_in import sources

    engine = engine_for(args)
    if args.sources_action == "list":
        return _print_list(engine)
    if args.sources_action == "mapping":
        return _mapping(args, engine)
    with Session(engine) as s:
        if args.sources_action == "add":
            source = sources.add_source(
                s,
                actor=CLI_ACTOR,
                name=args.name,
                kind=args.kind,
                token_env=args.token_env,
                base_url=args.base_url,
                every_minutes=args.every,
                webhook_secret_env=args.webhook_secret_env,
            )
            print(
                _(
                    "added {name} ({label}), token from {where}; "
                    "test it: python -m smarketing sources test {name}"
                ).format(
                    name=source.name,
                    label=sources.label(source.kind),
                    where=sources.where_secret_is(source.token_env),
                )
            )
            return 0
        if args.sources_action == "set":
            enabled = True if args.resume else False if args.pause else None
            source = sources.update_source(
                s,
                args.name,
                actor=CLI_ACTOR,
                token_env=args.token_env,
                base_url=args.base_url,
                every_minutes=args.every,
                enabled=enabled,
                webhook_secret_env=args.webhook_secret_env,
            )
            print(_("{name}: saved").format(name=source.name))
            return 0
        source = sources.get_source(s, args.name)  # test
        s.expunge(source)
    print(f"{source.name}: {sources.connection_check(source)}")
    return 0


def _sync(args, engine_for) -> int:
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.data_in.sync import SyncFailed, sync_source

    engine = engine_for(args)
    now = now_from(args.now)
    if args.name:
        names = [args.name]
    else:
        from sqlmodel import Session, select

        from smarketing.store.models import DataSource

        with Session(engine) as s:
            names = list(
                s.exec(select(DataSource.name).where(DataSource.enabled).order_by(DataSource.name))
            )
        if not names:
            print(_("No data sources yet: python -m smarketing sources add NAME --kind hubspot …"))
            return 0
    failed = 0
    for name in names:
        try:
            result = sync_source(
                engine,
                name,
                actor=CLI_ACTOR,
                full=args.full,
                dry_run=args.dry_run,
                remove_demo=args.remove_demo,
                progress=None if args.dry_run else progress_printer(),
                now=now,
            )
        except SyncFailed as exc:
            print(error_line(exc), file=sys.stderr)
            failed += 1
            continue
        for line in result.rejects[:20]:
            print(_("rejected: {problem}").format(problem=line), file=sys.stderr)
        if result.rejected > 20:
            more = _("… and {n} more").format(n=formatting.count(result.rejected - 20))
            print(_("rejected: {problem}").format(problem=more), file=sys.stderr)
        what = _("full sync") if result.full else _("sync")
        if args.dry_run:
            what += _(", dry run")
        took = (
            ""
            if args.dry_run
            else " " + _("in {seconds} s").format(seconds=formatting.decimal(result.seconds, 1))
        )
        print(f"{name} ({what}): {result.summary}{took}")
    return 1 if failed else 0


def run(args, engine_for) -> int:
    if args.command == "sources":
        return _sources(args, engine_for)
    return _sync(args, engine_for)

"""The message catalogs: extract, update, fill, compile and check (README "Languages").

    python scripts/i18n.py update          # extract every _() text, update each .po
    python scripts/i18n.py todo [--lang nb] # the texts still without a translation
    python scripts/i18n.py fill FILE.json   # add translations: {"English": "Norsk", ...}
    python scripts/i18n.py fill-from OTHER.po  # take translations another .po has
    python scripts/i18n.py compile          # .po → .mo (the install step; update and
                                            # fill compile too)
    python scripts/i18n.py check            # exit 1 when a catalog is out of date

It is Babel (``pybabel extract -F babel.cfg`` / ``update`` / ``compile``) through its API,
writing the ``.po`` files sorted by message and without dates that change on every run, so
two branches that add texts merge cleanly. ``fill`` takes a JSON object of message →
translation; a plural message's translation is a list of forms, a message with a context is
keyed ``"context\\x04message"``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from smarketing.i18n import LANGUAGES, catalog_path  # noqa: E402

#: The language the message ids are written in: its catalog stays without translations.
SOURCE_LANGUAGE = "en"
WIDTH = 100


def extracted() -> Catalog:
    """Every text marked in the code (babel.cfg says where), as a template catalog."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    template = Catalog(project="Smarketing", fuzzy=False)
    for filename, lineno, message, comments, context in extract_from_dir(
        str(ROOT),
        method_map,
        options_map,
        comment_tags=("Translators:",),
        strip_comment_tags=True,
    ):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def load(code: str) -> Catalog:
    """The catalog of ``code`` as stored (an empty one when there is none yet)."""
    path = catalog_path(code)
    if not path.exists():
        return Catalog(locale=code, project="Smarketing", fuzzy=False)
    with path.open("rb") as handle:
        return read_po(handle, locale=code)


def save(catalog: Catalog, code: str) -> None:
    """Write the catalog of ``code``: sorted, file names without line numbers, no dates."""
    path = catalog_path(code)
    path.parent.mkdir(parents=True, exist_ok=True)
    catalog.fuzzy = False
    catalog.revision_date = catalog.creation_date = _FIXED_DATE
    for message in catalog:
        if message.id:
            message.locations = sorted({(f, None) for f, _ in message.locations})
    with path.open("wb") as handle:
        write_po(
            handle,
            catalog,
            width=WIDTH,
            sort_output=True,
            ignore_obsolete=True,
            include_previous=False,
        )


#: The header dates of every .po: fixed, so an update changes only the messages.
_FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def update() -> None:
    template = extracted()
    for code in LANGUAGES:
        catalog = load(code)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        save(catalog, code)
        print(f"{catalog_path(code).relative_to(ROOT)}: {len(catalog)} messages")
    compile_all()


def _key(message) -> str:
    mid = message.id[0] if isinstance(message.id, tuple) else message.id
    return f"{message.context}\x04{mid}" if message.context else mid


def untranslated(code: str) -> list:
    """The messages of ``code`` without a (complete) translation."""
    missing = []
    for message in load(code):
        if not message.id:
            continue
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(forms):
            missing.append(message)
    return missing


def todo(code: str) -> None:
    pending = untranslated(code)
    out = {}
    for message in pending:
        out[_key(message)] = list(message.id) if isinstance(message.id, tuple) else ""
    print(json.dumps(out, ensure_ascii=False, indent=1))
    print(f"{len(pending)} without a translation in {code}", file=sys.stderr)


def fill(path: Path, code: str) -> None:
    wanted = json.loads(path.read_text(encoding="utf-8"))
    catalog = load(code)
    done, unknown = 0, []
    by_key = {_key(m): m for m in catalog if m.id}
    for key, text in wanted.items():
        message = by_key.get(key)
        if message is None:
            unknown.append(key)
            continue
        if isinstance(message.id, tuple):
            forms = [text] * 2 if isinstance(text, str) else list(text)
            message.string = tuple(forms)
        else:
            message.string = text if isinstance(text, str) else text[0]
        message.flags.discard("fuzzy")
        done += 1
    save(catalog, code)
    compile_all()
    print(f"{done} translations added to {code}")
    for key in unknown:
        print(f"not in the catalog (run update first?): {key!r}", file=sys.stderr)


def fill_from(other: Path, code: str) -> None:
    with other.open("rb") as handle:
        source = read_po(handle, locale=code)
    given = {_key(m): m.string for m in source if m.id and m.string and not m.fuzzy}
    catalog = load(code)
    done = 0
    for message in catalog:
        if message.id and _key(message) in given:
            forms = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(forms):
                message.string = given[_key(message)]
                done += 1
    save(catalog, code)
    compile_all()
    print(f"{done} translations taken from {other}")


def compile_all() -> None:
    for code in LANGUAGES:
        catalog = load(code)
        with catalog_path(code, ".mo").open("wb") as handle:
            write_mo(handle, catalog)
        print(f"{catalog_path(code, '.mo').relative_to(ROOT)}: compiled")


def problems() -> list[str]:
    """What is out of date: texts in the code missing from a catalog, catalog entries no
    code uses any more, messages without a translation (a language other than English)."""
    template = extracted()
    wanted = {_key(m) for m in template if m.id}
    found = []
    for code in LANGUAGES:
        have = {_key(m) for m in load(code) if m.id}
        for key in sorted(wanted - have):
            found.append(f"{code}: not in the catalog: {key!r}")
        for key in sorted(have - wanted):
            found.append(f"{code}: no longer in the code: {key!r}")
        if code != SOURCE_LANGUAGE:
            found.extend(f"{code}: no translation: {_key(m)!r}" for m in untranslated(code))
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("update")
    sub.add_parser("compile")
    sub.add_parser("check")
    p = sub.add_parser("todo")
    p.add_argument("--lang", default="nb")
    p = sub.add_parser("fill")
    p.add_argument("file", type=Path)
    p.add_argument("--lang", default="nb")
    p = sub.add_parser("fill-from")
    p.add_argument("file", type=Path)
    p.add_argument("--lang", default="nb")
    args = parser.parse_args(argv)
    if args.command == "update":
        update()
    elif args.command == "compile":
        compile_all()
    elif args.command == "todo":
        todo(args.lang)
    elif args.command == "fill":
        fill(args.file, args.lang)
    elif args.command == "fill-from":
        fill_from(args.file, args.lang)
    else:
        found = problems()
        for line in found:
            print(line)
        print(f"{len(found)} problems" if found else "catalogs up to date")
        return 1 if found else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

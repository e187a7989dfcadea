"""The demo company: a reproducible, generated data set that tells the story of
``docs/demo-company.md`` (a Norwegian B2B software firm, its SLA, meetings and leads).

Every row written here has ``is_demo=True``; :func:`clear_demo` removes them again, except
what a person made or touched (``removal``: :func:`removal_plan` says what goes and stays).
Leads, activities and verdicts are generated with numpy and written with SQLAlchemy Core
in chunks, inside one transaction, so a failure leaves no half demo behind.

The parts: ``story`` (time frame, calendar, cast, personas/sources/offers by name),
``names`` (who the leads are), ``sampling`` (random helpers), ``leads`` and ``activities``
(the numpy generation and bulk write), ``personas``, ``definitions``, ``campaigns`` (the
cards and briefs), ``sla`` and ``meetings`` (agreements, meetings, notes, decisions,
actions, causes), ``inserts`` (Core writes), ``build`` (build, has) and ``removal`` (the
plan and the removal). The texts the demo's people typed are in ``content_en`` and
``content_nb`` (``content.texts(language)``): the demo is written in one language
(``build_demo(language=...)``, default the app default), with the same figures in each.

May import: meetings, content, quality, sla, auth, store and the base modules.
"""

from smarketing.demo.build import (
    DEMO_SETTING,
    DemoSummary,
    build_demo,
    default_leads,
    ensure_cast,
    has_demo,
)
from smarketing.demo.removal import RemovalPlan, clear_demo, removal_plan
from smarketing.demo.story import EBOOK

#: Leads generated and written per step; read from here each time :func:`build_demo` runs.
CHUNK = 50_000

__all__ = [
    "CHUNK",
    "DEMO_SETTING",
    "EBOOK",
    "DemoSummary",
    "RemovalPlan",
    "build_demo",
    "clear_demo",
    "default_leads",
    "ensure_cast",
    "has_demo",
    "removal_plan",
]

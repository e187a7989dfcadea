"""The demo company in Norwegian on screen: the Import page's removal confirmation (what goes,
what stays) in Norwegian, for the Norwegian demo company."""

from __future__ import annotations

from smarketing import i18n
from smarketing.ui import demo_views
from tests.pages.conftest import logged_in, texts, untranslated
from tests.pages.test_import_page import HUBSPOT, upload


def test_the_removal_confirmation_in_norwegian(people, app_env):
    from smarketing import demo
    from tests.conftest import NOW

    demo.build_demo(app_env, leads=300, months=3, now=NOW, seed=7, language="nb")
    with i18n.language("nb"):  # AppTest runs the widgets' format_func in this thread
        at = logged_in("ada", ["admin"], language="nb").switch_page("app_pages/admin_import.py")
        at = upload(at.run(), HUBSPOT)
    assert not at.exception
    page = texts(at)
    assert "**Demobedriften ligger fortsatt i databasen.**" in page
    assert "Fjernet – demodata ingen har rørt" in page
    assert "300 leads fra demoen med tilhørende " in page
    assert "Beholdt – laget eller endret av teamet ditt" in page
    assert "ingenting: ingen har jobbet med demodataene" in page
    assert "Beholdt som utgangspunkt" in page and "SLA-avtalen v2 (med v1 før den)" in page
    assert "4 personaer (Markedssjef Maria, Salgssjef Henrik, IT-leder Ingrid og " in page
    keep = at.checkbox(key="import_keep_start")
    assert keep.label == (
        "Behold demoens definisjoner, personaer, agendamaler og SLA-avtale som utgangspunkt"
    )
    assert at.checkbox(key="import_remove_demo").label == (
        "Fjern demobedriften som vist, og importer deretter"
    )
    # none of the demo views' texts is shown in English (the rest of the page is the Import
    # page's own)
    with i18n.language("en"):
        ours = {
            "Removed — demo data nobody touched",
            "Kept — made or changed by your team",
            "Kept as your starting point",
            demo.removal.UNTOUCHED,
            demo_views.KEEP_LABEL,
        }
    assert not set(untranslated(at)) & ours
    with i18n.language("nb"):
        keep.uncheck().run()
    assert "demoens SLA-avtale (v1 og v2)" in texts(at)


def test_the_sentence_after_the_removal_in_norwegian():
    from smarketing.demo.removal import RemovalPlan, TablePlan

    plan = RemovalPlan(keep_starting_point=False, tables={"lead": TablePlan("lead", remove=1234)})
    with i18n.language("nb"):
        assert demo_views.removed_text(plan) == (
            "Demobedriften er fjernet (1\xa0234 rader); det teamet ditt har laget eller endret, "
            "ble værende."
        )
    plan.keep_starting_point = True
    with i18n.language("nb"):
        assert demo_views.removed_text(plan).endswith(
            "og demoens definisjoner, personaer og SLA-avtale blir værende som utgangspunkt."
        )
    assert demo_views.removed_text(plan).startswith("The demo company was removed (1,234 rows)")

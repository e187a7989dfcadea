"""Admin pages: add a user through the form, audit log, role checks."""

from __future__ import annotations

from sqlmodel import Session

from smarketing.auth import users
from tests.pages.conftest import as_shown, logged_in, texts, untranslated


def test_admin_adds_user_through_form(people, app_env):
    at = logged_in("ada", ["admin"])
    at.switch_page("app_pages/admin_users.py").run()
    at.text_input(key="new_username").input("nina")
    at.text_input(key="new_name").input("Nina Berg")
    at.text_input(key="new_email").input("nina@example.com")
    at.multiselect(key="new_roles").select("sales")
    at.text_input(key="new_password").input("long enough pw")
    at.button(key="FormSubmitter:add_user-Add user").click()
    at.run()
    assert not at.exception
    assert "Added **nina**" in texts(at)
    with Session(app_env) as s:
        assert users.get_user(s, "nina").role_list == ["sales"]
    # the same screen lists the new user, and the form is empty for the next one
    assert "nina" in set(as_shown(at.dataframe[0])["Username"])
    assert at.text_input(key="new_username").value == ""
    at.switch_page("app_pages/admin_audit.py").run()
    assert not at.exception
    shown = as_shown(at.dataframe[0])
    assert "user.add" in set(shown["Action"])


def test_bad_input_keeps_what_was_typed(people):
    at = logged_in("ada", ["admin"])
    at.switch_page("app_pages/admin_users.py").run()
    at.text_input(key="new_username").input("nina")
    at.text_input(key="new_name").input("Nina Berg")
    at.text_input(key="new_email").input("nina-at-example")
    at.multiselect(key="new_roles").select("sales")
    at.text_input(key="new_password").input("long enough pw")
    at.button(key="FormSubmitter:add_user-Add user").click()
    at.run()
    assert "is not an e-mail address" in texts(at)
    assert at.text_input(key="new_name").value == "Nina Berg"


def test_admin_disables_user(people, app_env):
    at = logged_in("ada", ["admin"])
    at.switch_page("app_pages/admin_users.py").run()
    at.selectbox(key="edit_user").select("sam").run()
    at.button(key="toggle_sam").click().run()
    assert "Disabled **sam**" in texts(at)
    # the screen shows the new state at once (it said "active" until a reload)
    assert "Account is **disabled**." in texts(at)
    assert at.button(key="toggle_sam").label == "Enable"
    users_shown = as_shown(at.dataframe[0])
    assert users_shown.loc[users_shown["Username"] == "sam", "State"].tolist() == ["disabled"]
    with Session(app_env) as s:
        assert users.get_user(s, "sam").disabled


def test_admin_edits_the_rejection_reasons(people, app_env):
    from smarketing.quality import reasons

    at = logged_in("ada", ["admin"])
    at.switch_page("app_pages/admin_users.py").run()
    shown = at.data_editor(key="reasons_editor").value
    assert list(shown.columns) == ["Reason", "Retired", "Verdicts"]
    assert shown["Reason"].tolist()[:4] == [
        "Wrong persona",
        "No budget",
        "Bad data",
        "Student / competitor",
    ]
    # rename "No budget", retire "Duplicate" (row 4), add "Bad timing"
    at.session_state["reasons_editor"] = {
        "edited_rows": {1: {"Reason": "Budget frozen"}, 4: {"Retired": True}},
        "added_rows": [{"Reason": "Bad timing"}],
        "deleted_rows": [],
    }
    at.button(key="FormSubmitter:reasons_form-Save the list").click().run()
    assert not at.exception
    assert "Rejection reasons saved." in texts(at)
    with Session(app_env) as s:
        listed = {r.key: r for r in reasons.reasons(s)}
    assert listed["no_budget"].label == "Budget frozen"
    assert listed["duplicate"].retired and listed["bad_timing"].label == "Bad timing"
    # the screen shows the stored list, not the edits
    shown = at.data_editor(key="reasons_editor").value
    assert "Bad timing" in shown["Reason"].tolist()
    assert "No budget" not in shown["Reason"].tolist()


def test_emptying_a_reason_is_refused_with_what_to_do(people, app_env):
    at = logged_in("ada", ["admin"])
    at.switch_page("app_pages/admin_users.py").run()
    at.session_state["reasons_editor"] = {
        "edited_rows": {0: {"Reason": ""}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.button(key="FormSubmitter:reasons_form-Save the list").click().run()
    assert "needs a label (retire it instead of emptying it)" in texts(at)


def test_the_users_page_in_norwegian(people, app_env):
    at = logged_in("ada", ["admin"], language="nb")
    at.switch_page("app_pages/admin_users.py").run()
    assert not at.exception
    assert untranslated(at) == []
    assert [t.value for t in at.title] == ["Brukere"]
    assert [t.label for t in at.tabs] == [
        "Legg til bruker",
        "Endre en bruker",
        "Mislykkede innlogginger",
        "Hvem kan gjøre hva",
        "Avvisningsgrunner",
    ]
    shown = as_shown(at.dataframe[0])
    assert list(shown.columns) == [
        "Brukernavn",
        "Navn",
        "E-post",
        "Roller",
        "Status",
        "Notater skrevet",
        "Siste innlogging",
    ]
    sam = shown.loc[shown["Brukernavn"] == "sam"].iloc[0]
    assert (sam["Roller"], sam["Status"]) == ("salg", "aktiv")
    rights = as_shown(at.dataframe[1])
    assert list(rights.columns) == ["Hvem kan …", "Admin", "Marked", "Salg", "Ledelse"]
    row = rights.loc[rights["Hvem kan …"] == "godta eller avvise en MQL"].iloc[0]
    assert (row["Admin"], row["Salg"], row["Marked"]) == ("ja", "ja", "—")
    assert "Kontoen er **aktiv**." in texts(at)
    # the roles are offered by their Norwegian names; the stored value stays English
    assert at.multiselect(key="new_roles").options == ["admin", "marked", "salg", "ledelse"]


def test_adding_a_user_in_norwegian_says_what_is_wrong_in_norwegian(people, app_env):
    at = logged_in("ada", ["admin"], language="nb")
    at.switch_page("app_pages/admin_users.py").run()
    at.text_input(key="new_username").input("nina")
    at.text_input(key="new_name").input("Nina Berg")
    at.text_input(key="new_email").input("nina-at-example")
    at.multiselect(key="new_roles").select("sales")
    at.text_input(key="new_password").input("kort")
    at.button(key="FormSubmitter:add_user-Legg til bruker").click().run()
    assert not at.exception
    shown = texts(at)
    assert "'nina-at-example' er ikke en e-postadresse" in shown
    assert "passordet må ha minst 8 tegn" in shown
    assert untranslated(at) == []
    at.text_input(key="new_email").input("nina@example.com")
    at.text_input(key="new_password").input("langt nok passord")
    at.button(key="FormSubmitter:add_user-Legg til bruker").click().run()
    assert "La til **nina**." in texts(at)
    with Session(app_env) as s:
        assert users.get_user(s, "nina").role_list == ["sales"]


def test_the_audit_log_in_norwegian(people, app_env):
    at = logged_in("ada", ["admin"], language="nb")
    at.switch_page("app_pages/admin_audit.py").run()
    assert not at.exception
    assert untranslated(at) == []
    assert [t.value for t in at.title] == ["Revisjonslogg"]
    shown = as_shown(at.dataframe[0])
    assert list(shown.columns) == ["Når", "Hvem", "Handling", "Hva", "Detalj"]
    assert set(shown["Hvem"]) == {"Kommandolinjen"}  # the people fixture added them
    assert "user.add" in set(shown["Handling"])  # the action stays its code
    assert at.selectbox(key="audit_who").options[0] == "alle"
    assert "Nyeste først, 100 per side. Tider i Europe/Oslo." in texts(at)
    at.text_input(key="audit_text").input("finnes ikke").run()
    assert "Ingen oppføringer i revisjonsloggen passer." in texts(at)
    assert untranslated(at) == []

"""A fake Pipedrive company answering the REST API v2 list endpoints the connector reads
(``/api/v2/persons``, ``/deals``, ``/activities``, ``/organizations``) and v1
``/api/v1/users`` and ``/api/v1/users/me``, in Pipedrive's documented envelope
``{"success": true, "data": [...], "additional_data": {"next_cursor": ...}}`` and its
error body ``{"success": false, "error": ..., "errorCode": ..., "error_info": ...}``.

Data is seeded and deterministic: person ``i`` (1..N) was added at ``BASE + i`` minutes;
every third person has a deal (every ninth won, every ninth+3 lost, every 18th also a
later lost second deal); every second person a done activity (call, meeting, email or
task in turn; every tenth not done). ``change_persons``/``change_deals``/
``add_activity`` change records at a given time, for incremental runs; ``--changed N``
(standalone) or ``POST /_fake/change?persons=N`` changes persons 1..N a minute after the
latest change.

    python -m tests.fakes.pipedrive --port 8765 --persons 1000 [--token T] [--seed 7]
"""

from __future__ import annotations

import argparse
import base64
import json
import random
import threading
from datetime import UTC, datetime, timedelta

from werkzeug import Request, Response

from tests.fakes.faults import Fault, Faults, serve_forever

BASE = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TOKEN = "pd-test-token"
FIRST = ("Ada", "Brage", "Cecilie", "Dag", "Eva", "Frode", "Gro", "Hans", "Ingrid", "Jon")
LAST = ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg")
USERS = (
    {"id": 1, "name": "Kari Nordmann", "email": "kari@example.com"},
    {"id": 2, "name": "Ola Nordmann", "email": "ola@example.com"},
    {"id": 3, "name": "Siri Salg", "email": "siri@example.com"},
)
ACTIVITY_TYPES = ("call", "meeting", "email", "task")
UNAUTHORIZED = {
    "success": False,
    "error": "unauthorized access",
    "errorCode": 401,
    "error_info": "Please check developers.pipedrive.com for more information about Pipedrive API.",
}


def ts(when: datetime) -> str:
    """RFC 3339 as API v2 writes it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error(status: int, message: str) -> Response:
    body = {"success": False, "error": message, "errorCode": status, "error_info": ""}
    return Response(json.dumps(body), status=status, content_type="application/json")


class FakePipedrive:
    def __init__(self, persons: int = 100, *, seed: int = 7, token: str = TOKEN) -> None:
        self.token = token
        self.faults = Faults()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self._lock = threading.Lock()
        rng = random.Random(seed)
        self.users = [dict(u, active_flag=True, is_admin=u["id"] == 1) for u in USERS]
        self.orgs = {
            i: {"id": i, "name": f"Firma {i} AS", "owner_id": 1, "add_time": ts(BASE)}
            for i in range(1, 21)
        }
        self.persons: dict[int, dict] = {}
        self.deals: dict[int, dict] = {}
        self.activities: dict[int, dict] = {}
        for i in range(1, persons + 1):
            added = BASE + timedelta(minutes=i)
            first, last = rng.choice(FIRST), rng.choice(LAST)
            self.persons[i] = {
                "id": i,
                "name": f"{first} {last}",
                "first_name": first,
                "last_name": last,
                "owner_id": (i % 3) + 1,
                "org_id": None if i % 7 == 0 else (i % 20) + 1,
                "add_time": ts(added),
                "update_time": ts(added),
                "emails": [{"value": f"p{i}@example.com", "primary": True, "label": "work"}],
                "phones": [],
                "is_deleted": False,
                "visible_to": 3,
                "label_ids": [],
                "custom_fields": {},
            }
            if i % 3 == 0:
                self._deal(i, added + timedelta(days=1), i % 9)
            if i % 18 == 0:
                self._deal(i, added + timedelta(days=30), 3)
            if i % 2 == 0:
                kind = ACTIVITY_TYPES[(i // 2) % 4]
                done_at = added + timedelta(hours=2)
                self.add_activity(i, kind, done_at, done=i % 10 != 0)

    # --- data ------------------------------------------------------------------------------

    def _deal(self, person: int, added: datetime, state: int) -> dict:
        deal_id = len(self.deals) + 1
        won = added + timedelta(days=10) if state == 0 else None
        lost = added + timedelta(days=5) if state == 3 else None
        last = won or lost or added
        deal = {
            "id": deal_id,
            "title": f"Deal {deal_id}",
            "person_id": person,
            "org_id": self.persons[person]["org_id"],
            "owner_id": self.persons[person]["owner_id"],
            "pipeline_id": 1,
            "stage_id": 4 if won else 2,
            "value": 1000 + person,
            "currency": "NOK",
            "status": "won" if won else "lost" if lost else "open",
            "add_time": ts(added),
            "update_time": ts(last),
            "stage_change_time": ts(last),
            "won_time": ts(won) if won else None,
            "lost_time": ts(lost) if lost else None,
            "close_time": ts(won or lost) if (won or lost) else None,
            "lost_reason": "Price" if lost else None,
            "is_deleted": False,
            "probability": None,
            "expected_close_date": None,
            "label_ids": [],
            "custom_fields": {},
        }
        self.deals[deal_id] = deal
        return deal

    def add_activity(self, person: int, kind: str, at: datetime, *, done: bool = True) -> dict:
        activity_id = len(self.activities) + 1
        activity = {
            "id": activity_id,
            "subject": f"{kind.capitalize()} {person}",
            "type": kind,
            "owner_id": self.persons[person]["owner_id"],
            "creator_user_id": 1,
            "is_deleted": False,
            "add_time": ts(at - timedelta(hours=1)),
            "update_time": ts(at),
            "deal_id": None,
            "lead_id": None,
            "person_id": person,
            "org_id": self.persons[person]["org_id"],
            "due_date": at.strftime("%Y-%m-%d"),
            "due_time": at.strftime("%H:%M"),
            "duration": "00:30",
            "busy": False,
            "done": done,
            "marked_as_done_time": ts(at) if done else None,
            "participants": [{"person_id": person, "primary": True}],
        }
        self.activities[activity_id] = activity
        return activity

    def change_persons(self, ids, at: datetime) -> None:
        """Give persons ``ids`` a new last name and ``update_time`` ``at``."""
        with self._lock:
            for i in ids:
                person = self.persons[i]
                person["last_name"] += "-Endret"
                person["name"] = f"{person['first_name']} {person['last_name']}"
                person["update_time"] = ts(at)

    def change_first(self, count: int) -> datetime:
        """Change persons 1..``count`` a minute after the latest change in the company (the
        standalone fake's ``--changed N`` and ``POST /_fake/change?persons=N``)."""
        latest = max(
            (
                r["update_time"]
                for t in (self.persons, self.deals, self.activities)
                for r in t.values()
            ),
            default=ts(BASE),
        )
        at = datetime.fromisoformat(latest.replace("Z", "+00:00")) + timedelta(minutes=1)
        self.change_persons(range(1, min(count, len(self.persons)) + 1), at)
        return at

    def win_deal(self, deal_id: int, at: datetime) -> None:
        with self._lock:
            deal = self.deals[deal_id]
            deal.update(status="won", won_time=ts(at), lost_time=None, update_time=ts(at))
            deal["stage_change_time"] = ts(at)

    # --- HTTP ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        self.requests.append((request.path, dict(request.args)))
        fault = self.faults.take(request)
        if fault is not None:
            return fault.response()
        if request.method == "POST" and request.path == "/_fake/change":
            at = self.change_first(int(request.args.get("persons", "1")))
            return self._ok({"changed_at": ts(at)})
        given = request.headers.get("x-api-token") or request.args.get("api_token")
        if given != self.token:
            return Response(json.dumps(UNAUTHORIZED), status=401, content_type="application/json")
        path = request.path.rstrip("/")
        with self._lock:
            if path == "/api/v1/users/me":
                me = dict(self.users[0], company_name="Fake Company AS", company_domain="fake")
                return self._ok(me)
            if path == "/api/v1/users":
                return self._ok(self.users)
            tables = {
                "/api/v2/persons": self.persons,
                "/api/v2/deals": self.deals,
                "/api/v2/activities": self.activities,
                "/api/v2/organizations": self.orgs,
            }
            if path in tables:
                return self._list(tables[path], request.args)
        return error(404, f"Unknown method {request.path}")

    @staticmethod
    def _ok(data, additional: dict | None = None) -> Response:
        body = {"success": True, "data": data}
        if additional is not None:
            body["additional_data"] = additional
        return Response(json.dumps(body), content_type="application/json")

    def _list(self, table: dict[int, dict], args) -> Response:
        try:
            limit = int(args.get("limit", 100))
        except ValueError:
            return error(400, "Validation failed: limit: Expected number")
        if not 1 <= limit <= 500:
            return error(400, "Validation failed: limit: Must be between 1 and 500")
        sort_by = args.get("sort_by", "id")
        if sort_by not in ("id", "update_time", "add_time"):
            return error(400, f"Validation failed: sort_by: invalid value {sort_by}")
        descending = args.get("sort_direction", "asc") == "desc"
        rows = [r for r in table.values() if not r.get("is_deleted")]
        if "ids" in args:
            wanted = {int(i) for i in args["ids"].split(",") if i}
            rows = [r for r in rows if r["id"] in wanted]
        if "person_id" in args:
            rows = [r for r in rows if r.get("person_id") == int(args["person_id"])]
        if "updated_since" in args:
            since = args["updated_since"]
            rows = [r for r in rows if r["update_time"] >= since]

        def key(row):
            return (row[sort_by], row["id"])

        rows.sort(key=key, reverse=descending)
        if args.get("cursor"):
            after = tuple(json.loads(base64.urlsafe_b64decode(args["cursor"])))
            rows = [r for r in rows if (key(r) < after if descending else key(r) > after)]
        page = rows[:limit]
        following = None
        if len(rows) > limit:
            following = base64.urlsafe_b64encode(json.dumps(list(key(page[-1]))).encode())
            following = following.decode()
        return self._ok([dict(r) for r in page], {"next_cursor": following})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Pipedrive API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--persons", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--changed", type=int, default=0, help="persons 1..N changed")
    args = parser.parse_args(argv)
    fake = FakePipedrive(args.persons, seed=args.seed, token=args.token)
    if args.changed:
        fake.change_first(args.changed)
    serve_forever(fake, args.port)


__all__ = ["BASE", "TOKEN", "FakePipedrive", "Fault", "main", "ts"]

if __name__ == "__main__":
    main()

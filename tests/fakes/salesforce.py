"""A fake Salesforce org answering the REST API the connector uses: SOQL queries
(``GET /services/data/vXX.X/query?q=``, paged by ``nextRecordsUrl`` and
``Sforce-Query-Options: batchSize``) and ``sobjects/<Object>/describe``, in Salesforce's
documented shapes: ``{"totalSize", "done", "nextRecordsUrl", "records": [{"attributes":
{"type", "url"}, ...}]}``, relationship fields as nested records, errors as
``[{"message", "errorCode"}]``.

The SOQL it understands is what the connector asks: ``SELECT fields FROM Object [WHERE
conditions with AND, OR, parentheses, = != < > <= >= and IN (...)] [ORDER BY fields]
[LIMIT n]``; anything else is a 400 MALFORMED_QUERY.

Seeded, deterministic data: lead ``i`` (1..N) created at ``BASE + i`` minutes; every fifth
converted three days later into a contact (and, every tenth, an opportunity, won for every
twentieth); every seventh other one "Closed - Not Converted"; every second has an MQL date
a day after creation; every fourth is owned by a queue. N // 4 contacts of their own, every
third with an opportunity (closed lost for every sixth; every ninth has a later won one
too). ``change_leads``/``win_opportunity`` change records at a given time; ``--changed N``
(standalone) or ``POST /_fake/change?leads=N`` changes leads 1..N a minute after the latest
change.

    python -m tests.fakes.salesforce --port 8766 --leads 1000 [--token T]
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from itertools import count

from werkzeug import Request, Response

from tests.fakes.faults import Fault, Faults, serve_forever

BASE = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TOKEN = "00Dfake!session-token"
VERSION = "59.0"
FIRST = ("Ada", "Brage", "Cecilie", "Dag", "Eva", "Frode", "Gro", "Hans", "Ingrid", "Jon")
LAST = ("Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Berg")
USERS = (
    ("005000000000001AAA", "Kari Nordmann", "kari@example.com"),
    ("005000000000002AAA", "Ola Nordmann", "ola@example.com"),
    ("005000000000003AAA", "Siri Salg", "siri@example.com"),
)
QUEUE = ("00G000000000001AAA", "Inbound queue", None)
FIELDS = {
    "Lead": [
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "Company",
        "Title",
        "CreatedDate",
        "LeadSource",
        "Status",
        "OwnerId",
        "ConvertedDate",
        "IsConverted",
        "ConvertedContactId",
        "ConvertedOpportunityId",
        "Industry",
        "NumberOfEmployees",
        "SystemModstamp",
        "MQL_Date__c",
    ],
    "Contact": [
        "Id",
        "FirstName",
        "LastName",
        "Email",
        "AccountId",
        "Title",
        "CreatedDate",
        "LeadSource",
        "OwnerId",
        "SystemModstamp",
    ],
    "Opportunity": [
        "Id",
        "Name",
        "StageName",
        "CreatedDate",
        "CloseDate",
        "IsWon",
        "IsClosed",
        "Amount",
        "ContactId",
        "OwnerId",
        "SystemModstamp",
    ],
    "Account": ["Id", "Name", "SystemModstamp"],
}
#: relationship name -> (id field, object)
RELATIONS = {"Owner": ("OwnerId", "User"), "Account": ("AccountId", "Account")}


def stamp(when: datetime) -> str:
    """A datetime as the REST API writes it."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def day(when: datetime) -> str:
    return when.strftime("%Y-%m-%d")


def errors(status: int, code: str, message: str, headers: dict | None = None) -> Response:
    body = json.dumps([{"message": message, "errorCode": code}])
    return Response(body, status=status, headers=headers, content_type="application/json")


class SoqlError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<str>'(?:[^'\\]|\\.)*')|(?P<op><=|>=|!=|=|<|>)|(?P<p>[(),])"
    r"|(?P<word>[A-Za-z_][\w.]*|[0-9][0-9T:.+\-Z]*))"
)


def _tokens(text: str) -> list[str]:
    out, pos = [], 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        match = _TOKEN.match(text, pos)
        if not match:
            raise SoqlError(f"unexpected token at {text[pos : pos + 20]!r}")
        out.append(match.group(match.lastgroup))
        pos = match.end()
    return out


def _value(token: str):
    if token.startswith("'"):
        return token[1:-1].replace("\\'", "'").replace("\\\\", "\\")
    lowered = token.lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if lowered == "null":
        return None
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", token):
        return _time(token)
    if re.fullmatch(r"-?\d+(\.\d+)?", token):
        return float(token)
    raise SoqlError(f"unknown value {token}")


def _time(text: str) -> datetime:
    text = text.replace("Z", "+00:00")
    text = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text)
    return datetime.fromisoformat(text)


def _comparable(value):
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}T.*", value):
        return _time(value)
    return value


class _Condition:
    """Recursive descent over the WHERE tokens; ``matches(record)``."""

    def __init__(self, tokens: list[str], fields: set[str]) -> None:
        self.tokens, self.pos, self.fields = tokens, 0, fields
        self.tree = self._or()
        if self.pos != len(tokens):
            raise SoqlError(f"unexpected {tokens[self.pos]!r}")

    def _peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def _take(self) -> str:
        if self.pos >= len(self.tokens):
            raise SoqlError("unexpected end of query")
        self.pos += 1
        return self.tokens[self.pos - 1]

    def _or(self):
        parts = [self._and()]
        while (self._peek() or "").upper() == "OR":
            self._take()
            parts.append(self._and())
        return ("or", parts)

    def _and(self):
        parts = [self._factor()]
        while (self._peek() or "").upper() == "AND":
            self._take()
            parts.append(self._factor())
        return ("and", parts)

    def _factor(self):
        if self._peek() == "(":
            self._take()
            inner = self._or()
            if self._take() != ")":
                raise SoqlError("missing )")
            return inner
        field = self._take()
        if field not in self.fields:
            raise SoqlError(f"No such column '{field}'")
        op = self._take()
        if op.upper() == "IN":
            if self._take() != "(":
                raise SoqlError("IN needs a list")
            values = []
            while True:
                values.append(_value(self._take()))
                sep = self._take()
                if sep == ")":
                    break
                if sep != ",":
                    raise SoqlError("bad IN list")
            return ("in", field, values)
        if op not in ("=", "!=", "<", ">", "<=", ">="):
            raise SoqlError(f"unknown operator {op}")
        return ("cmp", field, op, _value(self._take()))

    def matches(self, record: dict, node=None) -> bool:
        node = node or self.tree
        kind = node[0]
        if kind == "or":
            return any(self.matches(record, n) for n in node[1])
        if kind == "and":
            return all(self.matches(record, n) for n in node[1])
        if kind == "in":
            return record.get(node[1]) in node[2]
        _, field, op, wanted = node
        have = _comparable(record.get(field))
        if op == "=":
            return have == wanted
        if op == "!=":
            return have != wanted
        if have is None or wanted is None:
            return False
        return {
            "<": have < wanted,
            ">": have > wanted,
            "<=": have <= wanted,
            ">=": have >= wanted,
        }[op]


_SOQL = re.compile(
    r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<object>\w+)"
    r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>[\w.,\s]+?))?"
    r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*$",
    re.IGNORECASE | re.DOTALL,
)


class FakeSalesforce:
    def __init__(self, leads: int = 100, *, token: str = TOKEN) -> None:
        self.token = token
        self.faults = Faults()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.queries: list[str] = []
        self._lock = threading.Lock()
        self._locators: dict[str, tuple[list[dict], int]] = {}
        self._locator_ids = count(1)
        self.tables: dict[str, dict[str, dict]] = {
            "Lead": {},
            "Contact": {},
            "Opportunity": {},
            "Account": {},
            "User": {},
        }
        for user_id, name, email in (*USERS, QUEUE):
            self.tables["User"][user_id] = {"Id": user_id, "Name": name, "Email": email}
        for n in range(1, 11):
            account = f"001{n:012d}AAA"
            self.tables["Account"][account] = {"Id": account, "Name": f"Firma {n} AS"}
        for i in range(1, leads + 1):
            self._lead(i)
        for j in range(1, leads // 4 + 1):
            self._direct_contact(j)

    # --- data ------------------------------------------------------------------------------

    def _id(self, prefix: str, table: str) -> str:
        return f"{prefix}{len(self.tables[table]) + 1:012d}AAA"

    def _lead(self, i: int) -> None:
        created = BASE + timedelta(minutes=i)
        lead_id = f"00Q{i:012d}AAA"
        first, last = FIRST[i % len(FIRST)], LAST[(i // 3) % len(LAST)]
        owner = QUEUE[0] if i % 4 == 0 else USERS[i % 3][0]
        lead = {
            "Id": lead_id,
            "FirstName": first,
            "LastName": last,
            "Email": f"lead{i}@example.com",
            "Company": f"Kunde {i} AS",
            "Title": "CTO" if i % 2 else "Head of Marketing",
            "CreatedDate": stamp(created),
            "LeadSource": ("Web", "Webinar", "Partner Referral")[i % 3],
            "Status": "Open - Not Contacted",
            "OwnerId": owner,
            "ConvertedDate": None,
            "IsConverted": False,
            "ConvertedContactId": None,
            "ConvertedOpportunityId": None,
            "Industry": "Software",
            "NumberOfEmployees": 10 * i,
            "SystemModstamp": stamp(created),
            "MQL_Date__c": stamp(created + timedelta(days=1)) if i % 2 == 0 else None,
        }
        self.tables["Lead"][lead_id] = lead
        if i % 5 == 0:
            converted = created + timedelta(days=3)
            contact = self._contact(first, last, lead["Email"], owner, converted)
            lead.update(
                Status="Closed - Converted",
                IsConverted=True,
                ConvertedDate=day(converted),
                ConvertedContactId=contact["Id"],
                SystemModstamp=stamp(converted),
            )
            if i % 10 == 0:
                opportunity = self._opportunity(
                    contact["Id"], converted, "won" if i % 20 == 0 else "open", 5000 + i
                )
                lead["ConvertedOpportunityId"] = opportunity["Id"]
        elif i % 7 == 0:
            lead["Status"] = "Closed - Not Converted"

    def _contact(self, first, last, email, owner, created: datetime) -> dict:
        contact_id = self._id("003", "Contact")
        owner = owner if owner.startswith("005") else USERS[0][0]
        number = len(self.tables["Contact"]) % 10 + 1
        contact = {
            "Id": contact_id,
            "FirstName": first,
            "LastName": last,
            "Email": email,
            "AccountId": f"001{number:012d}AAA",
            "Title": "Buyer",
            "CreatedDate": stamp(created),
            "LeadSource": "Web",
            "OwnerId": owner,
            "SystemModstamp": stamp(created),
        }
        self.tables["Contact"][contact_id] = contact
        return contact

    def _direct_contact(self, j: int) -> None:
        created = BASE + timedelta(minutes=j, seconds=30)
        owner = USERS[j % 3][0]
        contact = self._contact("Kontakt", f"Nr{j}", f"contact{j}@example.com", owner, created)
        if j % 3 == 0:
            state = "lost" if j % 6 == 0 else "open"
            self._opportunity(contact["Id"], created + timedelta(days=2), state, 100 * j)
        if j % 9 == 0:
            self._opportunity(contact["Id"], created + timedelta(days=40), "won", 200 * j)

    def _opportunity(self, contact_id: str, created: datetime, state: str, amount) -> dict:
        opportunity_id = self._id("006", "Opportunity")
        close = created + timedelta(days=14 if state == "won" else 7 if state == "lost" else 30)
        opportunity = {
            "Id": opportunity_id,
            "Name": f"Opportunity {opportunity_id[-6:]}",
            "StageName": {"won": "Closed Won", "lost": "Closed Lost"}.get(state, "Prospecting"),
            "CreatedDate": stamp(created),
            "CloseDate": day(close),
            "IsWon": state == "won",
            "IsClosed": state in ("won", "lost"),
            "Amount": float(amount),
            "ContactId": contact_id,
            "OwnerId": self.tables["Contact"][contact_id]["OwnerId"],
            "SystemModstamp": stamp(close if state != "open" else created),
        }
        self.tables["Opportunity"][opportunity_id] = opportunity
        return opportunity

    def change_leads(self, numbers, at: datetime) -> None:
        """Give leads ``numbers`` a new last name and ``SystemModstamp`` ``at``."""
        with self._lock:
            for i in numbers:
                lead = self.tables["Lead"][f"00Q{i:012d}AAA"]
                lead["LastName"] += "-Endret"
                lead["SystemModstamp"] = stamp(at)

    def change_first(self, count: int) -> datetime:
        """Change leads 1..``count`` a minute after the latest change in the org (the
        standalone fake's ``--changed N`` and ``POST /_fake/change?leads=N``)."""
        stamps = [
            _time(r["SystemModstamp"])
            for name in ("Lead", "Contact", "Opportunity")
            for r in self.tables[name].values()
        ]
        at = max(stamps, default=BASE) + timedelta(minutes=1)
        self.change_leads(range(1, min(count, len(self.tables["Lead"])) + 1), at)
        return at

    def win_opportunity(self, opportunity_id: str, at: datetime) -> None:
        with self._lock:
            self.tables["Opportunity"][opportunity_id].update(
                StageName="Closed Won",
                IsWon=True,
                IsClosed=True,
                CloseDate=day(at),
                SystemModstamp=stamp(at),
            )

    # --- HTTP ------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        self.requests.append((request.path, dict(request.args)))
        fault = self.faults.take(request)
        if fault is not None:
            return fault.response()
        if request.method == "POST" and request.path == "/_fake/change":
            at = self.change_first(int(request.args.get("leads", "1")))
            return Response(json.dumps({"changed_at": stamp(at)}), content_type="application/json")
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return errors(401, "INVALID_SESSION_ID", "Session expired or invalid")
        prefix = f"/services/data/v{VERSION}/"
        path = request.path
        if not path.startswith(prefix):
            return errors(404, "NOT_FOUND", "The requested resource does not exist")
        rest = path[len(prefix) :].strip("/")
        batch = 2000
        options = request.headers.get("Sforce-Query-Options", "")
        if match := re.search(r"batchSize=(\d+)", options):
            batch = int(match.group(1))
        with self._lock:
            if rest == "query":
                return self._query(request.args.get("q", ""), batch)
            if rest.startswith("query/"):
                return self._more(rest.split("/", 1)[1], batch)
            if match := re.fullmatch(r"sobjects/(\w+)/describe", rest):
                name = match.group(1)
                if name not in FIELDS:
                    return errors(404, "NOT_FOUND", "The requested resource does not exist")
                fields = [{"name": f, "type": "string"} for f in FIELDS[name]]
                body = {"name": name, "queryable": True, "fields": fields}
                return Response(json.dumps(body), content_type="application/json")
        return errors(404, "NOT_FOUND", "The requested resource does not exist")

    def _query(self, soql: str, batch: int) -> Response:
        self.queries.append(soql)
        match = _SOQL.match(soql)
        if not match:
            return errors(400, "MALFORMED_QUERY", f"unexpected query: {soql[:80]}")
        name = match.group("object")
        if name not in FIELDS:
            return errors(400, "INVALID_TYPE", f"sObject type '{name}' is not supported.")
        own = set(FIELDS[name])
        fields = [f.strip() for f in match.group("fields").split(",")]
        for field in fields:
            head = field.split(".")[0]
            if field not in own and not ("." in field and head in RELATIONS):
                return errors(400, "INVALID_FIELD", f"No such column '{field}' on entity '{name}'.")
        rows = list(self.tables[name].values())
        try:
            if match.group("where"):
                condition = _Condition(_tokens(match.group("where")), own)
                rows = [r for r in rows if condition.matches(r)]
        except SoqlError as exc:
            return errors(400, "MALFORMED_QUERY", str(exc))
        if match.group("order"):
            order = [f.strip() for f in match.group("order").split(",")]
            rows.sort(key=lambda r: tuple(str(_comparable(r.get(f))) for f in order))
        if match.group("limit"):
            rows = rows[: int(match.group("limit"))]
        records = [self._record(name, r, fields) for r in rows]
        return self._batch(records, 0, batch)

    def _record(self, name: str, row: dict, fields: list[str]) -> dict:
        out: dict = {
            "attributes": {
                "type": name,
                "url": f"/services/data/v{VERSION}/sobjects/{name}/{row['Id']}",
            }
        }
        for field in fields:
            if "." not in field:
                out[field] = row.get(field)
                continue
            relation, leaf = field.split(".", 1)
            id_field, target = RELATIONS[relation]
            related = self.tables[target].get(row.get(id_field) or "")
            if related is None:
                out[relation] = None
                continue
            kind = "User" if target == "User" and related["Id"].startswith("005") else target
            nested = out.get(relation) or {
                "attributes": {
                    "type": "Name" if relation == "Owner" else kind,
                    "url": f"/services/data/v{VERSION}/sobjects/{kind}/{related['Id']}",
                }
            }
            nested[leaf] = related.get(leaf)
            out[relation] = nested
        return out

    def _batch(self, records: list[dict], start: int, batch: int) -> Response:
        page = records[start : start + batch]
        body: dict = {"totalSize": len(records), "done": start + batch >= len(records)}
        if not body["done"]:
            locator = f"01gFAKE{next(self._locator_ids):09d}"
            self._locators[locator] = (records, start + batch)
            body["nextRecordsUrl"] = f"/services/data/v{VERSION}/query/{locator}-{start + batch}"
        body["records"] = page
        return Response(json.dumps(body), content_type="application/json")

    def _more(self, ident: str, batch: int) -> Response:
        locator = ident.split("-")[0]
        if locator not in self._locators:
            return errors(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
        records, start = self._locators.pop(locator)
        return self._batch(records, start, batch)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Salesforce REST API on 127.0.0.1")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--leads", type=int, default=1000)
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--changed", type=int, default=0, help="leads 1..N changed")
    args = parser.parse_args(argv)
    fake = FakeSalesforce(args.leads, token=args.token)
    if args.changed:
        fake.change_first(args.changed)
    serve_forever(fake, args.port)


__all__ = ["BASE", "TOKEN", "FakeSalesforce", "Fault", "day", "main", "stamp"]

if __name__ == "__main__":
    main()

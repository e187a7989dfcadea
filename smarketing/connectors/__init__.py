"""CRM connectors: one module per CRM (``hubspot``, ``pipedrive``, ``salesforce``), each a
thin client over the vendor's library that yields pages of records
(:mod:`smarketing.connectors.base`). The sync (``smarketing.data_in.sync``) stores them by
the import's rules.

May import: the base modules (config, errors) only — a connector knows the API, not the
database.
"""

from __future__ import annotations

import importlib

from smarketing.connectors.base import Connector

#: The CRMs a data source can be, by the name its module has here, with their names for
#: people. Each connector reads its records with the import format of the same name.
LABELS = {"hubspot": "HubSpot", "pipedrive": "Pipedrive", "salesforce": "Salesforce"}
KINDS = tuple(LABELS)


def connector_class(kind: str) -> type[Connector]:
    """The connector class of ``kind`` (each module names it ``CONNECTOR``)."""
    if kind not in KINDS:
        raise ValueError(f"unknown CRM {kind!r}: expected one of {', '.join(KINDS)}")
    return importlib.import_module(f"smarketing.connectors.{kind}").CONNECTOR

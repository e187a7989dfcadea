"""The database: the SQLModel tables, the engine and sessions, the migrations glue,
SQL time helpers, the daily rollups of the leads (``rollup``: what the SLA and
Lead-quality figures of a quarter or a year read) and the adoption of demo rows a person
touched.

May import: the base modules (config, errors).
"""

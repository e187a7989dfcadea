"""The database: the SQLModel tables, the engine and sessions, the migrations glue,
SQL time helpers and the adoption of demo rows a person touched.

May import: the base modules (config, errors).
"""

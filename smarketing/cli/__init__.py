"""The command line, one module per command group (init, demo, users, tokens, report, sla, imports,
hot_leads, backup = backup/restore/export, meetings = minutes/meetings list); ``main``
builds the parser from them and runs one. A command module imports only the standard
library and light smarketing modules at the top: what a command needs is imported when it
runs (tests/test_cli_startup.py keeps the parser free of pandas, SQLAlchemy and alembic).

May import: everything but ui.
"""

"""Data coming in: CSV imports of CRM exports (one reader per format producing a
ParsedFile; the upsert matches rows to stored leads and writes them), and next the CRM
connectors and the event intake — one rule for "is this the same lead" for all of them.

May import: demo (the first real import removes the demo company), meetings, content,
quality, sla, auth, store and the base modules.
"""

"""Running the app: backups, restore and the export of what people wrote.

May import: meetings, content, quality, sla, auth, store and the base modules (not demo,
data_in, cli or ui).
"""

"""Running the app: backups, restore and the export of what people wrote.

May import: every domain package (meetings down to store), not data_in, cli or ui.
"""

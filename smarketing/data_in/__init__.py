"""CRM imports: readers (one module per format) produce a ParsedFile; the upsert stores it."""

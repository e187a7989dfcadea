"""Scheduled jobs: the lock that lets one process at a time run a job (a PostgreSQL advisory
lock, or a lease row on SQLite), the scheduler that runs the jobs inside the server or in
`python -m smarketing worker`, and each job's last run for the Admin page.

May import: data_in (the CRM sync and the event intake it runs), and every package below it
(demo, ops, meetings, content, quality, sla, auth, store, connectors and the base modules).
"""

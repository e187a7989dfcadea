"""Notifications: the channels (e-mail over SMTP, Slack and Microsoft Teams incoming
webhooks, a generic JSON webhook) and what is sent to whom, once.

May import: data_in, demo, ops, meetings, content, quality, sla, auth, store, charts and the
base modules.
"""

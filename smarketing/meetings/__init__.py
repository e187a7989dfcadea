"""The weekly and monthly meetings: agenda templates, meetings with notes, decisions,
attendees and ratings, the frozen scorecard, minutes, and agreed actions.

May import: content, quality, sla, auth, store and the base modules.
"""

"""Leads and the closed loop: cohorts and their breakdowns, stage counts, movements,
the lead list and profile, sales' verdicts and contacts, rejection reasons, hot leads.

May import: sla, auth, store and the base modules.
"""

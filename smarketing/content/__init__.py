"""What the teams agree on and tell each other: the shared-language definitions,
persona cards and campaign briefs.

May import: quality, sla, auth, store and the base modules.
"""

"""The service level agreement and its figures: periods, the versioned agreement,
the metrics with pacing, forecast and status, first-contact delays, recorded causes,
which inputs the store has, and the SLA report as text.

May import: auth, store and the base modules.
"""

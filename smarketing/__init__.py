"""Smarketing: one shared view of the marketing-sales SLA, lead quality and meetings."""

__version__ = "0.1.0"

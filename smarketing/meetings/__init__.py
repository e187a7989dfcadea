"""The weekly and monthly meetings: agenda templates (``agenda``), looking meetings up
(``records``), planning them (``planning``), running them (``running``; ``notes``;
``attendance``: attendees and ratings), the scorecard frozen at close (``scorecard``),
closing and correcting them (``closing``), the minutes (``minutes``) and agreed actions
(``actions``).

May import: content, quality, sla, auth, store and the base modules. Inside, lowest first:
agenda, actions → records → planning, scorecard → minutes → running, notes, attendance,
closing (the minutes never import a module that writes them).
"""

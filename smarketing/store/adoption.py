"""A person's write on a demo row makes it the team's own ("adopts" it).

The demo company marks every row it writes ``is_demo``; removing the demo deletes the demo
rows nobody touched (:mod:`smarketing.demo.removal`). Each domain write path calls
:func:`adopt` on the demo rows it writes on and on the row they hang off (a note on a demo
meeting adopts the meeting), so what people did is never taken for generated data. Demo
leads are the exception: they are fictional and always go, so nothing adopts them.
"""

from __future__ import annotations

from sqlmodel import Session, select


def adopt(session: Session, *rows) -> int:
    """Clear ``is_demo`` on the given rows (None and non-demo rows are skipped; no commit).
    Returns how many rows were adopted."""
    adopted = 0
    for row in rows:
        if row is not None and getattr(row, "is_demo", False):
            row.is_demo = False
            session.add(row)
            adopted += 1
    return adopted


def adopt_all(session: Session, model, *conditions) -> int:
    """Adopt every demo row of ``model`` matching ``conditions`` (e.g. all versions of a
    definition, the confirmations of an agreement); loaded through the session, so rows it
    already holds stay in step. Returns how many rows were adopted."""
    rows = session.exec(select(model).where(model.is_demo == True, *conditions)).all()  # noqa: E712
    return adopt(session, *rows)

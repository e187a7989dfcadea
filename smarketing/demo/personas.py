"""The four persona cards (their texts: ``st.text.PERSONA_CARDS``) and their first saved
version."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.engine import Connection

from smarketing.demo.inserts import insert_one
from smarketing.demo.story import HEAD_OF_MARKETING, Story
from smarketing.store.models import Persona, PersonaVersion


def write_personas(conn: Connection, st: Story) -> int:
    saved = st.dt(st.start - timedelta(days=20), 14)
    for card in st.text.PERSONA_CARDS:
        pid = insert_one(
            conn,
            Persona,
            **card,
            version=1,
            archived=False,
            updated_by=HEAD_OF_MARKETING,
            updated_at=saved,
            is_demo=True,
        )
        insert_one(
            conn,
            PersonaVersion,
            persona_id=pid,
            version=1,
            data=json.dumps(card, ensure_ascii=False),
            saved_by=HEAD_OF_MARKETING,
            saved_at=saved,
            is_demo=True,
        )
    return len(st.text.PERSONA_CARDS)

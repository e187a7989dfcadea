"""The server around the app (``app.py``'s ``st.App``): its start (the database upgraded,
the first-admin setup code printed, the background jobs started) and its HTTP routes,
``POST /api/events`` and ``POST /api/hubspot/webhook``. Starlette only, never streamlit.

May import: everything but ui and cli.
"""

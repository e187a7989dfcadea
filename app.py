"""Smarketing's server: `streamlit run app.py` serves the frame (`frame.py`: login,
navigation, the pages) through Streamlit's ASGI entry point, with the API
(`POST /api/events`, `POST /api/hubspot/webhook`, answered by a middleware before
Streamlit's own) and the lifespan that readies the database, prints the first-admin
setup code and runs the background jobs (`smarketing/api/server.py`)."""

import streamlit as st

from smarketing.api.server import Server

server = Server()
app = st.App("frame.py", middleware=server.middleware(), lifespan=server.lifespan)

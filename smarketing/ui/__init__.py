"""The Streamlit edge: the login gate, cached loaders, the frame and the widgets of every
screen — the only part of smarketing that imports streamlit.

May import: every other package (it sits on top); nothing imports it but frame.py and
app_pages/.
"""

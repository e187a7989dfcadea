"""The Streamlit edge: auth gate, cached loaders and widgets (the only part importing streamlit)."""

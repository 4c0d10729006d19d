"""The gallery's views, one module per area (see sequenzia/urls.py)."""

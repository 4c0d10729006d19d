"""AuthWare: users, ranks, grants, tokens and the one access module (access.py)."""

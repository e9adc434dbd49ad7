"""Alembic migrations of the node's database, and the functions that run them."""

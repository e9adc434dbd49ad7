"""What the node keeps in its database, other than routing's own tables: the engine and
sessions (`db`), API clients and dashboard sessions, the trust store, the audit log, and how
SQLite writers take turns. Each module owns its tables."""

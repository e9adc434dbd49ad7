"""Organization identification codes: grammar, the versioned registry, the resolver, and sync."""

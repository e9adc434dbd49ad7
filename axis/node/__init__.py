"""Assembling and running a node: its parts built from the settings (`parts`), the one place
that puts them together (`assembly.open_node`), the bus's binding to the database, the registry
authority's duties, the health checks of its surroundings, and `axis serve` on several cores."""

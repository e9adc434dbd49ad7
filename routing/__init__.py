"""The bus: topics, producers and consumers, delivery, retry tiers, dead letters, tracking."""

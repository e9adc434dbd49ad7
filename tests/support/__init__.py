"""Test support: the real servers the integration tests run against."""

"""Keys the node holds: its own secret key (`node_secret`), and the keys it signs with for
agencies that do not sign themselves, in its database or in a PKCS#11 token."""

"""A real Apache Kafka broker for development and tests: assembled from Maven artifacts, run in
KRaft mode on loopback (one node, or a cluster of several on one machine), and probed."""

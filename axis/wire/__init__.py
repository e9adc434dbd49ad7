"""The node's answers on the wire, one set of pydantic models used by the node (FastAPI's
response models) and by the Python client (`axis.client`), so the two cannot drift apart.
Importing them loads pydantic and nothing of the node: no FastAPI, SQLAlchemy or Kafka client
(a test checks it), so a DMS that uses the client does not carry the node."""

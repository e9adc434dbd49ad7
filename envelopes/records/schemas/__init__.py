"""The Avro schema files of the bus records, one frozen file per record and version."""

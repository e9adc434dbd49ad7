"""XML-DSig signing and verification, keys and certificates, and the trust store."""

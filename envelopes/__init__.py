"""The edXML language (QCVN 102:2016): model, hardened parsing, writing, validation, bus records."""

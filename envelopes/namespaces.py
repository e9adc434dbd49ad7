"""The XML namespaces an edXML packet uses."""

from __future__ import annotations

EDXML_NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
"""QCVN 102:2016; bound both as the default namespace and as the prefix `edXML:`."""

EDXML_PREFIX = "edXML"

XMLDSIG_NS = "http://www.w3.org/2000/09/xmldsig#"
"""XML-DSig, the namespace of a (correctly written) Signature element."""

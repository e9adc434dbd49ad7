"""The coded values of edXML: status codes, business document types, priorities."""

from __future__ import annotations

from enum import Enum


class StatusCode(str, Enum):
    """StatusCode of a status packet (QCVN 102:2016)."""

    ARRIVED = "01"
    """Arrived in the recipient's inbox, not yet handled."""
    REJECTED = "02"
    """Rejected by the recipient (reason in Description); terminal."""
    ACCEPTED = "03"
    """Accepted and registered by the recipient's clerk."""
    ASSIGNED = "04"
    """Assigned to a handler."""
    PROCESSING = "05"
    """Being processed."""
    FINISHED = "06"
    """Finished."""
    TAKE_BACK_REQUESTED = "13"
    """The sender asks to take the document back."""
    CHANGE_ACCEPTED = "15"
    """The recipient accepts a revoke, update or replace."""
    CHANGE_REFUSED = "16"
    """The recipient refuses a revoke, update or replace."""


class BusinessDocType(str, Enum):
    """TraceHeaderList/Bussiness/BussinessDocType: what a document packet does."""

    NEW = "0"
    REVOKE = "1"
    UPDATE = "2"
    REPLACE = "3"


class Priority(str, Enum):
    """OtherInfo/Priority of a document."""

    NORMAL = "0"
    URGENT = "1"
    VERY_URGENT = "2"
    EXPRESS = "3"
    EXPRESS_AT_TIME = "4"


class ReceiverType(str, Enum):
    """ReceiverList/Receiver/ReceiverType in an update packet."""

    REMOVED = "0"
    ADDED = "1"

"""The base of every wire model: frozen (an answer is a value), and nothing but pydantic."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class WireModel(BaseModel):
    model_config = ConfigDict(frozen=True)

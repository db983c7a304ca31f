"""Answers sent as JSON bytes made once: a route that returns a model has FastAPI validate it a
second time, which for a 720-bucket timeline costs more than computing it from the caches."""

from __future__ import annotations

from fastapi import Response
from pydantic import BaseModel


class JsonBody(Response):
    """The JSON of a model the route built (and so validated) itself; `response_model` on the
    route still documents the shape in OpenAPI."""

    media_type = "application/json"

    @classmethod
    def of(cls, model: BaseModel) -> bytes:
        """The bytes to keep in a cache and send with `JsonBody(content=...)`."""
        return model.model_dump_json().encode()

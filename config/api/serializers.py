"""A serializer built once per process, for the hottest endpoints.

DRF builds a serializer's fields by deep-copying its declared fields the first time an instance
uses them, so a serializer made per request rebuilds every field (and a nested serializer's) on
every request: on ``POST /api/v1/purchases/`` the input and output serializers spent about
1.5 ms of CPU per request doing it (bench/earn.py, cProfile), more than all its SQL.

``run_validation`` and ``to_representation`` keep nothing on the instance (only ``is_valid()``,
``.errors`` and ``.data`` do), so :class:`SharedSerializer` makes one instance at first use and
serves every request and thread with it. Only for serializers that keep nothing on ``self``
themselves and read no ``context`` (the shared instance has none): plain field declarations, as
the purchase endpoint's are.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rest_framework import serializers


class SharedSerializer:
    """``validate(data)`` is ``validated_data`` after ``is_valid(raise_exception=True)``: the same
    values, or the same ValidationError; ``represent(obj)`` is ``.data``.

    ``plain``, when given, validates a body first without DRF's fields: it returns the validated
    data for a body that is plainly valid and None for anything else, which the serializer then
    decides (with its own errors). It must never accept what the serializer refuses nor answer
    other values: test it against the serializer (tests/api/test_shared_serializer.py)."""

    def __init__(
        self,
        serializer_class: type[serializers.Serializer],
        *,
        plain: Callable[[Any], dict[str, Any] | None] | None = None,
    ):
        self.serializer_class = serializer_class
        self.plain = plain
        self._instance: serializers.Serializer | None = None

    @property
    def instance(self) -> serializers.Serializer:
        if self._instance is None:
            # Built on first use, not at import: fields may read settings or the app registry.
            self._instance = self.serializer_class()
        return self._instance

    def validate(self, data: Any) -> dict[str, Any]:
        if self.plain is not None:
            validated = self.plain(data)
            if validated is not None:
                return validated
        try:
            return self.instance.run_validation(data)
        except serializers.ValidationError:
            # A fresh serializer words the errors exactly as is_valid() does (it reshapes a few,
            # e.g. a `null` body); errors are not the hot path.
            fresh = self.serializer_class(data=data)
            fresh.is_valid(raise_exception=True)
            return fresh.validated_data

    def represent(self, obj: Any) -> dict[str, Any]:
        return self.instance.to_representation(obj)

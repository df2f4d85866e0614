"""Pages show times on the program's wall clock: one place activates its time zone per request,
so templates' `date` filters and forms read local time without each view knowing about it."""

from __future__ import annotations

from django.utils import timezone

from loyalty.selectors.program import program_zone

# The API speaks ISO 8601 with its offset for machines (UTC, as API.md shows); static files
# and the health check show no time.
_UNZONED_PREFIXES = ("/api/", "/static/", "/health/")


class ProgramTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(_UNZONED_PREFIXES):
            return self.get_response(request)
        with timezone.override(program_zone()):
            return self.get_response(request)

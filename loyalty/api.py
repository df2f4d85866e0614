"""The loyalty endpoints of API.md: program, purchases, refunds, preview."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from config.api.exceptions import ApiError
from config.api.views import ApiView
from loyalty.selectors.program import program_version_latest


class ProgramNotConfiguredError(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "program_not_configured"
    detail = "No program has been published yet."


class ProgramView(ApiView):
    """The live program (rules, tiers, expiry, rewards) in the shape of the program file."""

    required_scopes = ["program:read"]

    @extend_schema(operation_id="program_retrieve", responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        version = program_version_latest()
        if version is None:
            raise ProgramNotConfiguredError()
        return Response(
            {
                "version": version.number,
                "published_at": version.created_at,
                **version.snapshot,
            }
        )

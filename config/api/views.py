from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from config.api.authentication import ApiKeyAuthentication
from config.api.pagination import ApiPagination
from config.api.permissions import HasApiKeyScopes
from config.api.throttling import ApiKeyRateThrottle


class ApiViewMixin:
    """What every /api/v1/ view has: Bearer key, scope check, per-key throttle, one error shape.

    Declare the scopes a view needs::

        class MemberDetail(ApiView):
            required_scopes = ["members:read"]

        class Members(ApiGenericView):
            required_scopes = {"GET": ["members:read"], "POST": ["members:write"]}

    The same classes are the REST_FRAMEWORK defaults; naming them here keeps an API view correct
    even if the defaults change.
    """

    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [HasApiKeyScopes]
    throttle_classes = [ApiKeyRateThrottle]
    required_scopes: list[str] | dict[str, list[str]] = []


class ApiView(ApiViewMixin, APIView):
    pass


class ApiGenericView(ApiViewMixin, GenericAPIView):
    pagination_class = ApiPagination


class PingOutput(serializers.Serializer):
    ok = serializers.BooleanField()
    key = serializers.CharField(help_text="The name of the API key used.")


class PingView(ApiView):
    """Check that an API key is valid and see which key it is."""

    @extend_schema(
        operation_id="ping", summary="Check an API key", tags=["meta"], responses=PingOutput
    )
    def get(self, request):
        return Response(PingOutput({"ok": True, "key": request.auth.name}).data)

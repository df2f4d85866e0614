"""The project's URLs plus views that exercise the API's edges (mounted with `pytest.mark.urls`)."""

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response

from config.api.exceptions import ApiError
from config.api.idempotency import idempotent
from config.api.views import ApiGenericView, ApiView
from config.urls import handler400, handler403, handler404, handler500
from config.urls import urlpatterns as project_urlpatterns

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]


class Boom(ApiView):
    def get(self, request):
        raise RuntimeError("secret internals: password=hunter2")


class NotThere(ApiView):
    def get(self, request):
        raise Http404("no such thing")


class Forbidden(ApiView):
    def get(self, request):
        raise PermissionDenied


class InsufficientPoints(ApiError):
    status_code = 409
    code = "insufficient_points"
    detail = "Not enough points."


class Redeem(ApiView):
    def post(self, request):
        if request.data.get("custom"):
            raise InsufficientPoints("Needs 200 more points.")
        raise InsufficientPoints()


class PurchaseInput(serializers.Serializer):
    email = serializers.EmailField()
    amount = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)

    def validate(self, attrs):
        if attrs["email"].endswith("@blocked.example"):
            raise serializers.ValidationError("This shop does not accept that member.")
        return attrs


class Purchases(ApiView):
    required_scopes = {"GET": ["members:read"], "POST": ["purchases:write"]}

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response({"ok": True})

    @extend_schema(request=PurchaseInput, responses={201: OpenApiTypes.OBJECT})
    def post(self, request):
        data = PurchaseInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response({"ok": True}, status=201)


class Numbers(ApiGenericView):
    required_scopes = ["program:read"]

    def get(self, request):
        page = self.paginate_queryset(list(range(2500)))
        return self.get_paginated_response(page)


class Signup(ApiView):
    """Creates a user: a side effect a replay must not repeat."""

    @idempotent
    def post(self, request):
        from members.models import User

        email = request.data.get("email", "")
        if "@" not in email:
            raise ApiError("Give an email.")
        user = User.objects.create_user(email=email)
        return Response({"id": user.pk, "email": user.email}, status=201)


urlpatterns = [
    path("api/v1/test/signup/", Signup.as_view()),
    path("api/v1/test/boom/", Boom.as_view()),
    path("api/v1/test/missing/", NotThere.as_view()),
    path("api/v1/test/forbidden/", Forbidden.as_view()),
    path("api/v1/test/redeem/", Redeem.as_view()),
    path("api/v1/test/purchases/", Purchases.as_view()),
    path("api/v1/test/numbers/", Numbers.as_view()),
    *project_urlpatterns,
]

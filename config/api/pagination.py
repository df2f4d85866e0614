from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``?page=`` and ``?page_size=`` (max 1000).

    A page past the end or not a number is 404 ``not_found``; a ``page_size`` that is not a
    whole number above zero is 400 with ``errors`` (the schema declares an integer from 1, and
    falling back to the default hid a client's mistake); an oversized one is capped at 1000.
    """

    page_size_query_param = "page_size"
    max_page_size = 1000

    def get_page_size(self, request):
        text = request.query_params.get(self.page_size_query_param)
        if text is None:
            return self.page_size
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            raise ValidationError({self.page_size_query_param: [_("Give a whole number from 1.")]})
        return min(int(text), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] in (self.page_query_param, self.page_size_query_param):
                # No maximum: a larger page_size is taken and capped, as API.md says.
                parameter["schema"]["minimum"] = 1
        return parameters

from rest_framework.pagination import PageNumberPagination


class ApiPagination(PageNumberPagination):
    """``count``, ``next``, ``previous``, ``results``; ``?page=`` and ``?page_size=`` (max 1000).

    A page past the end or not a number is 404 ``not_found``; a bad ``page_size`` falls back to the
    default (settings.REST_FRAMEWORK["PAGE_SIZE"]), an oversized one to the maximum.
    """

    page_size_query_param = "page_size"
    max_page_size = 1000

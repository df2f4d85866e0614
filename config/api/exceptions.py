from django.http import JsonResponse


def api_not_found(request, exception=None):
    return JsonResponse({"code": "not_found", "detail": "Not found."}, status=404)


def api_server_error(request):
    return JsonResponse({"code": "server_error", "detail": "Server error."}, status=500)


def exception_handler(exc, context):
    from rest_framework.views import exception_handler as drf_handler

    return drf_handler(exc, context)

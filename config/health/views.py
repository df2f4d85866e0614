from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from config.health.checks import run_checks


@never_cache
@require_safe
def health(request):
    """200 when the database, cache, broker and beat are all well, 503 otherwise. No auth:
    load balancers and uptime monitors call it; it reveals states, never configuration."""
    checks = run_checks()
    healthy = all(check["ok"] for check in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The program's front door: what the program is and how to join; a greeting once signed in."""
    return render(request, "members/home.html")

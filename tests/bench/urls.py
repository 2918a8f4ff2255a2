from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from backend.urls import urlpatterns as app_urlpatterns


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """The floor: Django's full middleware stack, reading the same body, doing nothing with it."""
    request.body  # noqa: B018 - read the body like the intake does
    return HttpResponse(b'{"accepted": true}', content_type="application/json")


urlpatterns = [path("bench/bare", bare), *app_urlpatterns]

"""CORS for DICOMweb, for the origins an administrator lists in ``LUMEN_CORS_ORIGINS`` (and no others).

Browsers on other sites may then call ``/dicomweb/`` with a token (``Authorization`` header); cookies are never
allowed cross-origin, so a session is only ever used by Lumen's own pages.
"""

from django.conf import settings
from django.http import HttpResponse

ALLOWED_HEADERS = "Authorization, Accept, Content-Type"
EXPOSED_HEADERS = "Link, Warning, Content-Type, Content-Length"


class CorsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        origin = request.META.get("HTTP_ORIGIN")
        applies = request.path.startswith("/dicomweb/") and origin in settings.LUMEN_CORS_ORIGINS
        if applies and request.method == "OPTIONS" and "HTTP_ACCESS_CONTROL_REQUEST_METHOD" in request.META:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = "600"
        else:
            response = self.get_response(request)
        if applies:
            response["Access-Control-Allow-Origin"] = origin
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.path.startswith("/dicomweb/"):
            response["Vary"] = ", ".join(filter(None, [response.get("Vary"), "Origin"]))
        return response

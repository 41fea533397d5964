import io
import json

from django.core.management import call_command


def test_the_openapi_schema_validates_without_warnings_and_lists_the_endpoints(db):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--format", "openapi-json", stdout=out)
    schema = json.loads(out.getvalue())
    assert schema["info"]["title"] == "Lumen RIS/PACS API"
    assert {
        "/api/v1/patients/",
        "/api/v1/patients/{id}/",
        "/api/v1/patients/{id}/merge/",
        "/api/v1/orders/",
        "/api/v1/orders/{id}/transition/",
        "/api/v1/procedures/",
        "/api/v1/modalities/",
        "/api/v1/rooms/",
    } <= set(schema["paths"])
    assert set(schema["components"]["securitySchemes"]) == {"tokenAuth", "cookieAuth"}

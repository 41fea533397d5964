"""Serving the OHIF viewer (installed by ``manage.py install_viewer``) at ``/viewer/``, same origin as DICOMweb,
so it uses the signed-in user's session and needs no CORS."""

from __future__ import annotations

import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404
from django.shortcuts import render

from ris.accounts.choices import ALL_ROLES
from ris.accounts.roles import roles_required

mimetypes.add_type("application/wasm", ".wasm")
mimetypes.add_type("text/javascript", ".js")
mimetypes.add_type("application/json", ".map")


@roles_required(*ALL_ROLES)
def viewer(request, path: str = ""):
    root = (Path(settings.VAR_DIR) / "viewer").resolve()
    if not (root / "index.html").exists():
        return render(request, "pacs/viewer_missing.html", status=503)
    target = (root / path).resolve() if path else root / "index.html"
    if root not in target.parents and target != root / "index.html":
        raise Http404("No such file.")
    if not target.is_file():
        if "." in Path(path).name:  # a missing asset, not a route of the single-page app
            raise Http404("No such file.")
        target = root / "index.html"  # the app's own routes (/viewer/viewer?StudyInstanceUIDs=...)
    content_type = mimetypes.guess_type(target.name)[0] or "application/octet-stream"
    response = FileResponse(open(target, "rb"), content_type=content_type)
    hashed = ".bundle." in target.name or target.suffix == ".wasm"
    response["Cache-Control"] = "private, max-age=31536000, immutable" if hashed else "no-cache"
    return response

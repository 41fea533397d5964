"""``manage.py install_viewer``: fetch the OHIF viewer's prebuilt bundle from the npm registry (``npm pack``) and
set it up to be served by Lumen at ``/viewer/`` against Lumen's own DICOMweb. Not committed; re-run to update."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

PACKAGE = "@ohif/app@3.13.2"
OPTIONAL = ("ort", "dicom-microscopy-viewer")  # large optional parts (ONNX runtime, slide microscopy)

APP_CONFIG = """/* Lumen: OHIF configured for this server's DICOMweb (same origin, the user's session). */
window.config = %s;
"""


def viewer_dir() -> Path:
    return Path(settings.VAR_DIR) / "viewer"


def config(base: str) -> dict:
    return {
        "routerBasename": base.rstrip("/"),
        "showStudyList": True,
        "extensions": [],
        "modes": [],
        "maxNumberOfWebWorkers": 2,
        "showWarningMessageForCrossOrigin": False,
        "showCPUFallbackMessage": True,
        "showLoadingIndicator": True,
        "strictZSpacingForVolumeViewport": True,
        "defaultDataSourceName": "lumen",
        "dataSources": [
            {
                "namespace": "@ohif/extension-default.dataSourcesModule.dicomweb",
                "sourceName": "lumen",
                "configuration": {
                    "friendlyName": "Lumen",
                    "name": "lumen",
                    "wadoUriRoot": "/wado",
                    "qidoRoot": "/dicomweb",
                    "wadoRoot": "/dicomweb",
                    "qidoSupportsIncludeField": True,
                    "supportsReject": False,
                    "imageRendering": "wadors",
                    "thumbnailRendering": "wadors",
                    "enableStudyLazyLoad": True,
                    "supportsFuzzyMatching": False,
                    "supportsWildcard": True,
                    "staticWado": False,
                    "singlepart": "bulkdata,video",
                    "omitQuotationForMultipartRequest": True,
                    "bulkDataURI": {"enabled": True},
                },
            }
        ],
    }


class Command(BaseCommand):
    help = "Install the OHIF viewer bundle (needs npm) under var/viewer/."

    def add_arguments(self, parser):
        parser.add_argument("--if-missing", action="store_true", help="Do nothing when it is already installed")

    def handle(self, *args, if_missing=False, **options):
        target = viewer_dir()
        if if_missing and (target / "index.html").exists():
            return
        if shutil.which("npm") is None:
            raise CommandError("The viewer comes from the npm registry: install Node.js and npm, then run this again.")
        with tempfile.TemporaryDirectory() as work:
            result = subprocess.run(["npm", "pack", PACKAGE, "--silent"], cwd=work, capture_output=True, text=True)
            if result.returncode != 0:
                raise CommandError(f"npm pack {PACKAGE} failed: {result.stderr.strip()[-300:]}")
            archive = Path(work) / result.stdout.strip().splitlines()[-1]
            with tarfile.open(archive) as tar:
                members = [m for m in tar.getmembers() if m.name.startswith("package/dist/")]
                tar.extractall(work, members=members, filter="data")
            dist = Path(work) / "package" / "dist"
            for optional in OPTIONAL:
                shutil.rmtree(dist / optional, ignore_errors=True)
            self._configure(dist, "/viewer/")
            staging = target.with_name("viewer.new")
            shutil.rmtree(staging, ignore_errors=True)
            shutil.move(str(dist), staging)
            shutil.rmtree(target, ignore_errors=True)
            staging.rename(target)
        self.stdout.write(f"OHIF viewer ({PACKAGE}) installed in {target}; served at /viewer/.")

    @staticmethod
    def _configure(dist: Path, base: str) -> None:
        """The bundle is built for the origin root: move it under ``base`` and point it at Lumen's DICOMweb."""
        index = (dist / "index.html").read_text()
        index = index.replace('window.PUBLIC_URL="/"', f'window.PUBLIC_URL="{base}"')
        index = re.sub(r'(href|src)="/(?!/)', rf'\1="{base}', index)
        # No service worker: it would cache patient images in the browser beyond the session.
        index = re.sub(r'<script[^>]*init-service-worker\.js"></script>', "", index)
        (dist / "index.html").write_text(index)
        # webpack's public path (where chunks, workers and wasm load from) is compiled in as "/".
        for script in dist.glob("*.js"):
            text = script.read_text(encoding="utf-8")
            if '__webpack_require__.p = "/"' in text:
                script.write_text(
                    text.replace('__webpack_require__.p = "/"', f'__webpack_require__.p = "{base}"'), encoding="utf-8"
                )
        for sheet in dist.glob("*.css"):  # fonts and images referenced from the origin root
            text = sheet.read_text(encoding="utf-8")
            sheet.write_text(re.sub(r"url\((['\"]?)/(?!/)", rf"url(\1{base}", text), encoding="utf-8")
        (dist / "app-config.js").write_text(APP_CONFIG % json.dumps(config(base), indent=2))

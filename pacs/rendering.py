"""Rendered images and thumbnails (PS3.18 8.3.5 / 9.?): a frame as JPEG or PNG, windowed and sized for a screen.

Renderings are cached under the storage root's ``.cache/`` by a hash of the stored file and the parameters, so
each is computed once (a stored file never changes in place: a new copy gets a new name and hash).
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from pydicom import dcmread

from pacs import storage
from pacs.models import Instance

MEDIA = {"image/jpeg": "JPEG", "image/png": "PNG"}


class RenderError(ValueError):
    """The rendering parameters are wrong (400) or the image cannot be rendered (e.g. no pixel data)."""


@dataclass(frozen=True)
class Options:
    media: str = "image/jpeg"
    frame: int = 1
    window: tuple[float, float] | None = None  # center, width
    viewport: tuple[int, int] | None = None
    quality: int = 85

    @classmethod
    def parse(cls, params, *, media: str, frame: int = 1, thumbnail: bool = False) -> Options:
        window = viewport = None
        try:
            if params.get("window"):
                center, width, *_function = params["window"].split(",")
                window = (float(center), float(width))
                if window[1] <= 0:
                    raise RenderError("The window width must be positive.")
            if params.get("viewport"):
                parts = [int(v) for v in params["viewport"].split(",")[:2]]
                viewport = (parts[0], parts[-1])
                if min(viewport) < 1 or max(viewport) > 4096:
                    raise RenderError("The viewport is 1 to 4096 pixels each way.")
            quality = int(params.get("quality", 85))
        except (ValueError, IndexError):
            raise RenderError("window is center,width[,function]; viewport is width,height; quality 1-100.") from None
        if not 1 <= quality <= 100:
            raise RenderError("quality is 1 to 100.")
        if thumbnail and viewport is None:
            viewport = (128, 128)
        return cls(media=media, frame=frame, window=window, viewport=viewport, quality=quality)


def _cache_path(instance: Instance, options: Options) -> Path:
    key = hashlib.sha256(f"{instance.sha256}|{options}".encode()).hexdigest()
    return storage.root() / ".cache" / key[:2] / f"{key}.{MEDIA[options.media].lower()}"


def render(instance: Instance, options: Options) -> bytes:
    cached = _cache_path(instance, options)
    if cached.exists():
        return cached.read_bytes()
    data = _render(instance, options)
    cached.parent.mkdir(parents=True, exist_ok=True)
    temp = cached.with_suffix(f".{os.getpid()}.part")
    temp.write_bytes(data)
    os.replace(temp, cached)  # a cache: no fsync needed, a lost entry is rendered again
    return data


def _render(instance: Instance, options: Options) -> bytes:
    ds = dcmread(storage.absolute(instance.path))
    if "PixelData" not in ds:
        raise RenderError("This instance has no image to render.")
    frames = int(ds.get("NumberOfFrames", 1) or 1)
    if not 1 <= options.frame <= frames:
        raise RenderError(f"The instance has {frames} frame(s).")
    pixels = ds.pixel_array
    if frames > 1:
        pixels = pixels[options.frame - 1]
    if ds.get("SamplesPerPixel", 1) == 1:
        image = Image.fromarray(_grey(ds, pixels, options.window), mode="L")
    else:
        image = Image.fromarray(pixels.astype(np.uint8), mode="RGB")
    if options.viewport:
        image.thumbnail(options.viewport, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    kwargs = {"quality": options.quality} if options.media == "image/jpeg" else {}
    image.save(out, MEDIA[options.media], **kwargs)
    return out.getvalue()


def _grey(ds, pixels: np.ndarray, window: tuple[float, float] | None) -> np.ndarray:
    """Modality LUT (rescale) then VOI window (requested, else the image's own, else its full range) to 8 bit."""
    values = pixels.astype(np.float32) * float(ds.get("RescaleSlope", 1) or 1) + float(
        ds.get("RescaleIntercept", 0) or 0
    )
    if window is None and "WindowCenter" in ds and "WindowWidth" in ds:
        center, width = ds.WindowCenter, ds.WindowWidth
        center = float(center[0] if hasattr(center, "__len__") and not isinstance(center, str) else center)
        width = float(width[0] if hasattr(width, "__len__") and not isinstance(width, str) else width)
        window = (center, max(width, 1.0))
    if window is None:
        low, high = float(values.min()), float(values.max())
    else:
        low, high = window[0] - window[1] / 2, window[0] + window[1] / 2
    scaled = np.clip((values - low) / max(high - low, 1e-6), 0, 1) * 255
    if ds.get("PhotometricInterpretation") == "MONOCHROME1":
        scaled = 255 - scaled
    return scaled.astype(np.uint8)

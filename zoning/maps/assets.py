"""Offline web-map assets: Leaflet and the plugins folium references, inlined into the HTML.

The JavaScript and CSS come from the npm registry at set-up time (``make setup`` runs
``scripts/fetch_map_assets.py`` = ``python -m zoning.maps.fetch``, which calls
:func:`fetch_assets`) into the git-ignored folder
``zoning/_assets/`` (or ``$ZONING_ASSETS_DIR``). Nothing is copied into the repository by hand
and nothing is fetched from a CDN when a map is opened: :func:`inline_assets` replaces every
``<script src=…>`` / ``<link href=…>`` that folium emits by the file's content, with the images
the CSS refers to turned into ``data:`` URIs.
"""

from __future__ import annotations

import base64
import hashlib
import json
import mimetypes
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from zoning.errors import ZoningError

__all__ = [
    "ASSETS",
    "DROPPED_URL_PARTS",
    "NPM_PACKAGES",
    "Asset",
    "MapAssetsMissingError",
    "assets_dir",
    "fetch_assets",
    "inline_assets",
    "load_asset",
]


class MapAssetsMissingError(ZoningError, FileNotFoundError):
    """The offline Leaflet assets were not installed (run ``make setup``)."""


@dataclass(frozen=True)
class Asset:
    """One JavaScript or CSS file that folium references by URL.

    Parameters
    ----------
    key : str
        Stable id, also the file name under the assets folder.
    package : str
        npm package (with version) that provides it, e.g. ``"leaflet@1.9.4"``.
    member : str
        Path of the file inside the npm tarball (``package/…``).
    url_pattern : str
        Regular expression matching the CDN URLs folium emits for this file.
    """

    key: str
    package: str
    member: str
    url_pattern: str

    @property
    def kind(self) -> str:
        """``"js"`` or ``"css"``."""
        return "css" if self.key.endswith(".css") else "js"


#: npm packages pinned by version (folium 0.20 references leaflet 1.9.3; 1.9.4 is its bug-fix).
NPM_PACKAGES: tuple[str, ...] = (
    "leaflet@1.9.4",
    "leaflet.fullscreen@3.0.0",
    "leaflet-measure@2.1.7",
    "leaflet.sync@0.2.4",
    "leaflet-draw@1.0.4",  # drawing sites on the page of `zoning serve`
)

ASSETS: tuple[Asset, ...] = (
    Asset(
        "leaflet.js",
        "leaflet@1.9.4",
        "package/dist/leaflet.js",
        r"/leaflet(@[\d.]+)?/dist/leaflet\.js$",
    ),
    Asset(
        "leaflet.css",
        "leaflet@1.9.4",
        "package/dist/leaflet.css",
        r"/leaflet(@[\d.]+)?/dist/leaflet\.css$",
    ),
    Asset(
        "Control.FullScreen.js",
        "leaflet.fullscreen@3.0.0",
        "package/Control.FullScreen.js",
        r"/Control\.FullScreen(\.min)?\.js$",
    ),
    Asset(
        "Control.FullScreen.css",
        "leaflet.fullscreen@3.0.0",
        "package/Control.FullScreen.css",
        r"/Control\.FullScreen(\.min)?\.css$",
    ),
    Asset(
        "leaflet-measure.js",
        "leaflet-measure@2.1.7",
        "package/dist/leaflet-measure.min.js",
        r"/leaflet-measure(\.min)?\.js$",
    ),
    Asset(
        "leaflet-measure.css",
        "leaflet-measure@2.1.7",
        "package/dist/leaflet-measure.css",
        r"/leaflet-measure(\.min)?\.css$",
    ),
    Asset(
        "L.Map.Sync.js",
        "leaflet.sync@0.2.4",
        "package/L.Map.Sync.js",
        r"/L\.Map\.Sync(\.min)?\.js$",
    ),
    Asset(
        "leaflet.draw.js",
        "leaflet-draw@1.0.4",
        "package/dist/leaflet.draw.js",
        r"/leaflet\.draw(-src)?\.js$",
    ),
    Asset(
        "leaflet.draw.css",
        "leaflet-draw@1.0.4",
        "package/dist/leaflet.draw.css",
        r"/leaflet\.draw(-src)?\.css$",
    ),
)

#: URLs folium adds by default that zoning maps do not use (markers with Font Awesome icons,
#: Bootstrap, jQuery): their tags are removed from the HTML rather than inlined.
DROPPED_URL_PARTS: tuple[str, ...] = (
    "jquery",
    "bootstrap",
    "awesome-markers",
    "fontawesome",
    "leaflet.awesome.rotate",
    "bootstrap-glyphicons",
)

_ENV = "ZONING_ASSETS_DIR"


def assets_dir() -> Path:
    """Return the offline assets folder: ``$ZONING_ASSETS_DIR``, else ``zoning/_assets``."""
    env = os.environ.get(_ENV)
    if env:
        return Path(env)
    return Path(__file__).resolve().parent.parent / "_assets"


def _missing(path: Path) -> MapAssetsMissingError:
    return MapAssetsMissingError(
        f"offline map asset {path} not found; zoning maps inline Leaflet and its plugins so "
        "the HTML opens with no network, and these files are installed by the set-up step. "
        "Run `make setup` (or `python -m zoning.maps.fetch`, which needs npm and the npm "
        f"registry once), or point ${_ENV} at a folder holding them."
    )


@cache
def _load(folder: str, key: str) -> str:
    path = Path(folder) / key
    if not path.is_file():
        raise _missing(path)
    text = path.read_text(encoding="utf-8")
    if key.endswith(".css"):
        text = _embed_css_urls(text, Path(folder) / "files" / key.removesuffix(".css"))
    return text


def load_asset(key: str) -> str:
    """Return the text of asset ``key`` (CSS with its images as ``data:`` URIs).

    Raises
    ------
    MapAssetsMissingError
        When the assets were not installed.
    """
    return _load(str(assets_dir()), key)


_CSS_URL = re.compile(r"url\((['\"]?)([^'\")]+)\1\)")


def _embed_css_urls(css: str, image_root: Path) -> str:
    """Replace relative ``url(…)`` references of ``css`` by ``data:`` URIs of the files."""

    def repl(match: re.Match[str]) -> str:
        ref = match.group(2)
        if ref.startswith(("data:", "#", "http:", "https:")):
            return match.group(0)
        path = image_root / ref
        if not path.is_file():
            raise _missing(path)
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        return f'url("data:{mime};base64,{data}")'

    return _CSS_URL.sub(repl, css)


_SCRIPT = re.compile(r'<script\s+src="(https?://[^"]+)"\s*>\s*</script>', re.IGNORECASE)
_LINK = re.compile(r'<link\s+[^>]*href="(https?://[^"]+)"[^>]*/?>', re.IGNORECASE)


def _match_asset(url: str, kind: str) -> Asset | None:
    for asset in ASSETS:
        if asset.kind == kind and re.search(asset.url_pattern, url):
            return asset
    return None


def inline_assets(html: str) -> str:
    """Replace folium's CDN ``<script>``/``<link>`` tags by inline copies of the files.

    Tags of libraries zoning maps do not use (:data:`DROPPED_URL_PARTS`) are removed.

    Raises
    ------
    MapAssetsMissingError
        When an asset file is missing, or when the HTML references a script or stylesheet that
        has no offline copy (a new folium plugin: add it to :data:`ASSETS`).
    """

    def dropped(url: str) -> bool:
        low = url.lower()
        return any(part in low for part in DROPPED_URL_PARTS)

    def inliner(ext: str, tag: str, what: str) -> Callable[[re.Match[str]], str]:
        """Replace a ``<script src>`` / ``<link href>`` by its inlined offline copy."""

        def inline(match: re.Match[str]) -> str:
            url = match.group(1)
            if dropped(url):
                return ""
            asset = _match_asset(url, ext)
            if asset is None:
                raise MapAssetsMissingError(
                    f"the map references the {what} {url}, which has no offline copy in "
                    "zoning.maps.assets.ASSETS; add its npm package there and re-run `make setup`"
                )
            body = load_asset(asset.key).replace(f"</{tag}", f"<\\/{tag}")
            return f"<{tag}>/* {asset.package} */\n{body}\n</{tag}>"

        return inline

    script = inliner("js", "script", "script")
    link = inliner("css", "style", "stylesheet")

    html = _SCRIPT.sub(script, html)
    return _LINK.sub(link, html)


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


_MIT = """MIT License

Copyright (c) {holder}

Permission is hereby granted, free of charge, to any person obtaining a copy of this software
and associated documentation files (the "Software"), to deal in the Software without
restriction, including without limitation the rights to use, copy, modify, merge, publish,
distribute, sublicense, and/or sell copies of the Software, and to permit persons to whom the
Software is furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all copies or
substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR IMPLIED, INCLUDING
BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY, FITNESS FOR A PARTICULAR PURPOSE AND
NONINFRINGEMENT. IN NO EVENT SHALL THE AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM,
DAMAGES OR OTHER LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE SOFTWARE.
"""


def _license_text(tar: tarfile.TarFile, spec: str) -> bytes:
    """Return the package's licence file.

    For an MIT package that ships none (leaflet-draw): the MIT licence with the copyright line
    of its source header, saying so.
    """
    files = [
        m
        for m in tar.getmembers()
        if m.isfile()
        and m.name.count("/") == 1
        and m.name.split("/")[1].upper().startswith(("LICENSE", "LICENCE", "COPYING"))
    ]
    if files:
        data = tar.extractfile(sorted(files, key=lambda m: m.name)[0])
        assert data is not None
        return data.read()
    meta = tar.extractfile("package/package.json")
    declared = json.loads(meta.read()).get("license") if meta is not None else None
    if declared != "MIT":
        raise MapAssetsMissingError(
            f"npm package {spec} has no LICENSE file and declares {declared!r}; its assets "
            "cannot be redistributed in the wheel without the licence text"
        )
    holder = f"the authors of {spec}"
    for m in sorted(tar.getmembers(), key=lambda m: m.name):
        if m.isfile() and m.name.endswith(".js"):
            head = tar.extractfile(m)
            text = head.read(2000).decode("utf-8", "replace") if head is not None else ""
            found = re.search(r"\(c\)\s*([^\n*]+)", text)
            if found:
                holder = found.group(1).strip()
                break
    note = (
        f"{spec}: package.json declares the MIT licence but the package ships no LICENSE file;\n"
        "this is the MIT licence text with the copyright line of the package's source header.\n\n"
    )
    return (note + _MIT.format(holder=holder)).encode("utf-8")


def _extract_license(tarball: Path, folder: Path, spec: str) -> str:
    """Copy the package's licence out of its npm tarball; return its path in ``_assets``.

    The assets are redistributed inside zoning's wheel, and their licences (BSD-2-Clause,
    MIT …) ask that the licence text travels with them.
    """
    with tarfile.open(tarball) as tar:
        data = _license_text(tar, spec)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{spec.replace('/', '_')}.txt"
    target.write_bytes(data)
    return f"licenses/{target.name}"


def fetch_assets(
    dest: Path | None = None, *, npm: str = "npm", force: bool = False
) -> dict[str, Any]:
    """Download the pinned npm packages with ``npm pack`` and extract the map assets.

    Run once at set-up (needs the npm registry); maps then never touch the network.

    Parameters
    ----------
    dest : Path, optional
        Target folder (default :func:`assets_dir`). Replaced atomically.
    npm : str
        The npm executable.
    force : bool
        Fetch even if a complete manifest is already there.

    Returns
    -------
    dict
        The manifest written to ``dest/manifest.json`` (package, file and sha256 of each asset).
    """
    dest = Path(dest) if dest is not None else assets_dir()
    manifest_path = dest / "manifest.json"
    if manifest_path.is_file() and not force:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
        complete = set(manifest.get("assets", {})) == {a.key for a in ASSETS}
        if complete and set(manifest.get("licenses", {})) == set(NPM_PACKAGES):
            return manifest
    if shutil.which(npm) is None:
        raise MapAssetsMissingError(
            f"npm executable {npm!r} not found; it is needed once to fetch Leaflet and its "
            "plugins from the npm registry (apt-get install npm)"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=".assets-") as tmp:
        tmpdir = Path(tmp)
        packs = tmpdir / "packs"
        packs.mkdir()
        out = tmpdir / "out"
        (out / "files").mkdir(parents=True)
        manifest = {"source": "npm registry (npm pack)", "assets": {}}
        tarballs: dict[str, Path] = {}
        for spec in NPM_PACKAGES:
            done = subprocess.run(
                [npm, "pack", spec, "--pack-destination", str(packs), "--silent"],
                check=False,
                capture_output=True,
                text=True,
            )
            if done.returncode != 0:
                raise MapAssetsMissingError(
                    f"`npm pack {spec}` failed (exit {done.returncode}): {done.stderr.strip()}; "
                    "check access to the npm registry and re-run `make setup`"
                )
            tarballs[spec] = packs / done.stdout.strip().splitlines()[-1]
        for asset in ASSETS:
            with tarfile.open(tarballs[asset.package]) as tar:
                member = tar.extractfile(asset.member)
                if member is None:  # pragma: no cover - broken package
                    raise MapAssetsMissingError(f"{asset.member} missing in {asset.package}")
                (out / asset.key).write_bytes(member.read())
                if asset.kind == "css":
                    # images the stylesheet refers to, kept relative to the CSS file
                    base = asset.member.rsplit("/", 1)[0] + "/"
                    img_root = out / "files" / asset.key.removesuffix(".css")
                    for info in tar.getmembers():
                        name = info.name
                        if (
                            info.isfile()
                            and name.startswith(base)
                            and name.endswith((".png", ".svg", ".gif"))
                        ):
                            target = img_root / name[len(base) :]
                            target.parent.mkdir(parents=True, exist_ok=True)
                            data = tar.extractfile(info)
                            assert data is not None
                            target.write_bytes(data.read())
            manifest["assets"][asset.key] = {
                "package": asset.package,
                "member": asset.member,
                "sha256": _sha256(out / asset.key),
            }
        manifest["licenses"] = {
            spec: _extract_license(tarballs[spec], out / "licenses", spec) for spec in NPM_PACKAGES
        }
        (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        out.rename(dest)
    _load.cache_clear()
    return manifest

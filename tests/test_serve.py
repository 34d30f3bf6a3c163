"""The API of ``zoning serve`` (``zoning.serve``), driven through Starlette's TestClient.

What is checked: the JSON of ``POST /api/screen`` equals what ``zoning screen --json`` prints
for the same file (demo sites, hand-built sites in several formats); every error code; the
safety rules of issue 15 (zip-slip, zip bomb, a 60 MB body, path-like file names, tokens, a
full pool, no traceback, nothing left in or written outside the private temporary folder).
"""

from __future__ import annotations

import io
import json
import threading
import time
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box
from starlette.testclient import TestClient

from zoning.cli.main import cli
from zoning.serve import ServeConfig, create_app

DEMO_SITES = Path(__file__).resolve().parent.parent / "scenarios" / "demo_sites.geojson"
# the demo site S1: a polygon inside the demo red line (general zone)
S1 = json.loads(DEMO_SITES.read_text(encoding="utf-8"))["features"][0]


@pytest.fixture(scope="module")
def tmp_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("serve-tmp")


@pytest.fixture(scope="module")
def client(demo_catalog, tmp_root: Path) -> TestClient:
    app = create_app(ServeConfig(tmp_root=tmp_root), catalog=demo_catalog)
    return TestClient(app, raise_server_exceptions=False)


def _app(demo_catalog, **kwargs) -> TestClient:
    config = ServeConfig(warm_up=False, **kwargs)
    return TestClient(create_app(config, catalog=demo_catalog), raise_server_exceptions=False)


def _cli_json(path: Path, *args: str) -> dict:
    """What ``zoning screen PATH --json ARGS`` prints, parsed."""
    result = CliRunner().invoke(cli, ["screen", str(path), "--json", *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _without_id(doc: dict) -> dict:
    doc = dict(doc)
    assert isinstance(doc.pop("id"), str)
    return doc


def _upload(client: TestClient, name: str, data: bytes, **fields: str):
    fields.setdefault("project_type", "solar_pv")
    return client.post("/api/screen", files={"file": (name, data)}, data=fields)


def _error(response, status: int, code: str) -> str:
    assert response.status_code == status, response.text[:500]
    body = response.json()
    assert set(body) == {"error"} and body["error"]["code"] == code, body
    assert "Traceback" not in response.text
    return body["error"]["message"]


# --------------------------------------------------------------------------- plain answers


def test_health_names_the_catalogue_and_its_layers(client: TestClient, demo_catalog) -> None:
    r = client.get("/api/health")
    assert r.status_code == 200
    doc = r.json()
    assert doc["status"] == "ok"
    assert doc["catalog"]["name"] == demo_catalog.provenance()["name"]
    kinds = [layer["kind"] for layer in doc["catalog"]["layers"]]
    assert sorted(kinds) == sorted(demo_catalog.kinds)
    red = next(x for x in doc["catalog"]["layers"] if x["kind"] == "eco_redline")
    assert red["features"] == len(demo_catalog.frame("eco_redline"))
    # the demo's red lines are generated (README): the catalogue says it is illustrative
    assert doc["catalog"]["illustrative"] is True


def test_types_list_names_and_the_attributes_rules_test(client: TestClient) -> None:
    types = {t["id"]: t for t in client.get("/api/types").json()["types"]}
    assert types["solar_pv"]["name_zh"] == "光伏电站" or types["solar_pv"]["name_zh"]
    assert types["chemical"]["name_zh"] == "化工"
    # national.toml CN-RL-03/04 test necessary_and_unavoidable for linear infrastructure only
    road = {a["id"] for a in types["road"]["attributes"]}
    solar = {a["id"] for a in types["solar_pv"]["attributes"]}
    assert "necessary_and_unavoidable" in road
    assert "necessary_and_unavoidable" not in solar
    spec = next(a for a in types["road"]["attributes"] if a["id"] == "necessary_and_unavoidable")
    assert spec["type"] == "bool" and spec["question_zh"] and spec["question_en"]
    assert "linear_infrastructure" in [c["id"] for c in types["road"]["categories"]]


# --------------------------------------------------------------------------- = zoning screen


def test_demo_sites_upload_equals_cli_json(client: TestClient) -> None:
    data = DEMO_SITES.read_bytes()
    api = _upload(client, "demo_sites.geojson", data)
    assert api.status_code == 200, api.text
    assert _without_id(api.json()) == _cli_json(DEMO_SITES, "-t", "solar_pv")
    # S1 lies inside the red line (its name says so): solar PV is prohibited there
    verdicts = {s["site_id"]: s["verdict"] for s in api.json()["sites"]}
    assert verdicts["S1"] == "prohibited"
    assert len(verdicts) == 4


def test_compare_and_attrs_equal_cli(client: TestClient) -> None:
    api = _upload(
        client,
        "demo_sites.geojson",
        DEMO_SITES.read_bytes(),
        project_type="road",
        compare="true",
        attrs=json.dumps({"necessary_and_unavoidable": True}),
    )
    assert api.status_code == 200, api.text
    cli_doc = _cli_json(
        DEMO_SITES, "-t", "road", "--compare", "--attr", "necessary_and_unavoidable=true"
    )
    assert _without_id(api.json()) == cli_doc
    assert [r["rank"] for r in api.json()["ranking"]] == [1, 2, 3, 4]


def test_json_body_equals_cli_on_the_same_geojson(client: TestClient, tmp_path: Path) -> None:
    # hand-built: S1's ring as a bare geometry, a point 50 m east of Taiyuan's centre
    polygon = S1["geometry"]
    point = {"type": "Point", "coordinates": [112.55, 37.87]}
    for site in (polygon, point):
        api = client.post("/api/screen", json={"project_type": "solar_pv", "site": site})
        assert api.status_code == 200, api.text
        path = tmp_path / "site.geojson"
        path.write_text(
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4490"}},
                    "features": [{"type": "Feature", "properties": {}, "geometry": site}],
                }
            ),
            encoding="utf-8",
        )
        assert _without_id(api.json()) == _cli_json(path, "-t", "solar_pv")
    assert api.json()["sites"][0]["geometry_type"] == "Point"


def test_gauss_kruger_json_body(client: TestClient) -> None:
    # a 400 m x 300 m box in CGCS2000 GK zone 38 (EPSG:4526) near Yangquan, sent as JSON with
    # its CRS, and the same box with the CRS as the collection's own crs member
    ring = [
        [38_470_000, 4_190_000],
        [38_470_400, 4_190_000],
        [38_470_400, 4_190_300],
        [38_470_000, 4_190_300],
        [38_470_000, 4_190_000],
    ]
    site = {"type": "Polygon", "coordinates": [ring]}
    a = client.post(
        "/api/screen", json={"project_type": "solar_pv", "site": site, "crs": "EPSG:4526"}
    )
    assert a.status_code == 200, a.text[:500]
    assert a.json()["sites"][0]["site_area_m2"] == pytest.approx(120_000, rel=1e-6)
    # measured in the same zone, named by its central meridian: EPSG:4547 = CGCS2000 GK CM 114E
    assert a.json()["sites"][0]["gk_epsg"] == 4547
    fc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::4526"}},
        "features": [{"type": "Feature", "properties": {"site_id": "Y"}, "geometry": site}],
    }
    b = client.post("/api/screen", json={"project_type": "solar_pv", "site": fc})
    assert b.status_code == 200, b.text[:500]
    assert b.json()["sites"][0]["site_id"] == "Y"
    assert b.json()["sites"][0]["site_area_m2"] == a.json()["sites"][0]["site_area_m2"]


def test_gauss_kruger_csv_and_zipped_shapefile_equal_cli(
    client: TestClient, tmp_path: Path
) -> None:
    # two sites in CGCS2000 3-degree GK zone 38 (EPSG:4526, central meridian 114°E), near
    # Yangquan (lon ≈ 113.66): measured in their own zone, the 400 m × 300 m box is 120,000 m²
    # the shapefile's only text column is 名称 in GBK with no .cpg: the site ids come out right
    # only if the encoding is detected as the CLI detects it
    gk = gpd.GeoDataFrame(
        {"名称": ["甲站", "乙站"]},
        geometry=[
            box(38_470_000, 4_190_000, 38_470_400, 4_190_300),
            box(38_471_000, 4_191_000, 38_471_100, 4_191_100),
        ],
        crs="EPSG:4526",
    )
    shp = tmp_path / "shp"
    shp.mkdir()
    gk.to_file(shp / "sites.shp", encoding="gbk")
    zpath = tmp_path / "sites.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for part in sorted(shp.iterdir()):
            if part.suffix != ".cpg":
                zf.write(part, part.name)
    with zipfile.ZipFile(zpath) as zf:
        assert sorted(Path(n).suffix for n in zf.namelist()) == [".dbf", ".prj", ".shp", ".shx"]
    api = _upload(client, "sites.zip", zpath.read_bytes())
    assert api.status_code == 200, api.text
    assert _without_id(api.json()) == _cli_json(zpath, "-t", "solar_pv")
    assert [s["site_id"] for s in api.json()["sites"]] == ["甲站", "乙站"]
    assert api.json()["sites"][0]["site_area_m2"] == pytest.approx(400 * 300, rel=1e-6)

    csv = tmp_path / "sites.csv"
    csv.write_text("site_id,lon,lat\nP1,112.55,37.87\nP2,112.73,37.893\n", encoding="utf-8")
    api = _upload(client, "sites.csv", csv.read_bytes())
    assert api.status_code == 200, api.text
    assert _without_id(api.json()) == _cli_json(csv, "-t", "solar_pv")


# --------------------------------------------------------------------------- downloads


def test_downloads_of_a_screening(client: TestClient) -> None:
    doc = _upload(client, "demo_sites.geojson", DEMO_SITES.read_bytes(), compare="1").json()
    base = f"/api/screen/{doc['id']}"
    report = client.get(f"{base}/report.html")
    assert report.status_code == 200
    assert "禁止 / Prohibited" in report.text and "S1" in report.text
    # a self-contained document: its inline scripts run sandboxed, nothing loads from anywhere
    csp = report.headers["content-security-policy"]
    assert csp.startswith("sandbox") and "default-src 'none'" in csp
    assert json.loads(client.get(f"{base}/result.json").text) == _without_id(doc)
    summary_bytes = client.get(f"{base}/summary.csv").content
    assert summary_bytes.startswith(b"\xef\xbb\xbfsite_id,")  # the BOM Excel needs
    summary = summary_bytes.decode("utf-8-sig").splitlines()
    assert summary[0].startswith("site_id,") and len(summary) == 5
    assert client.get(f"{base}/ranking.csv").content.startswith(b"\xef\xbb\xbfrank,")
    assert len(client.get(f"{base}/ranking.csv").text.splitlines()) == 5
    feats = client.get(f"{base}/features.geojson").json()["features"]
    assert [f["properties"]["site_id"] for f in feats if f["properties"]["role"] == "site"] == [
        "S1",
        "S2",
        "S3",
        "S4",
    ]
    assert any(
        f["properties"]["role"] == "hit" and f["properties"]["layer_kind"] == "eco_redline"
        for f in feats
    )
    assert "<script" in client.get(f"{base}/map.html").text
    word = client.get(f"{base}/report.docx")
    assert word.status_code == 200 and word.content.startswith(b"PK")
    import io

    import docx

    text = "\n".join(p.text for p in docx.Document(io.BytesIO(word.content)).paragraphs)
    assert "选址筛查报告 / Site screening report" in text and "站点 / Site S1" in text
    _error(client.get(f"{base}/secrets.txt"), 404, "not_found")
    _error(client.get("/api/screen/nope/report.html"), 404, "not_found")


def test_results_expire(demo_catalog) -> None:
    c = _app(demo_catalog, result_ttl_s=0.0)
    doc = c.post("/api/screen", json={"project_type": "solar_pv", "site": S1}).json()
    _error(c.get(f"/api/screen/{doc['id']}/result.json"), 404, "not_found")


# --------------------------------------------------------------------------- error codes


def test_bad_requests_are_400_with_the_cli_message(client: TestClient) -> None:
    msg = _error(client.post("/api/screen", content=b"{not json", headers={"content-type": "application/json"}), 400, "bad_json")  # fmt: skip
    assert "not valid JSON" in msg
    msg = _error(client.post("/api/screen", json={"site": S1}), 400, "bad_request")
    assert "project_type" in msg
    msg = _error(client.post("/api/screen", json={"project_type": "solar_pv"}), 400, "bad_site")
    msg = _error(
        client.post("/api/screen", json={"project_type": "solar_pv", "site": {"type": "Circle"}}),
        400,
        "bad_site",
    )
    assert "'Circle'" in msg
    msg = _error(
        client.post(
            "/api/screen", json={"project_type": "solar_pv", "site": S1, "crs": "EPSG:999999"}
        ),
        400,
        "bad_crs",
    )
    assert "EPSG:999999" in msg
    msg = _error(
        client.post(
            "/api/screen",
            json={"project_type": "solar_pv", "site": S1, "attrs": {"colour": "red"}},
        ),
        400,
        "bad_request",
    )
    assert "unknown project attribute 'colour'" in msg
    # an unreadable upload: the reader's message, naming the client's file, not the server's
    msg = _error(_upload(client, "sites.geojson", b"this is not geojson"), 400, "bad_input")
    assert "sites.geojson" in msg and "zoning-serve-" not in msg and "/tmp" not in msg
    # a CSV without coordinates
    msg = _error(_upload(client, "t.csv", b"a,b\n1,2\n"), 400, "bad_input")
    assert "t.csv" in msg
    _error(_upload(client, "sites.exe", b"MZ"), 400, "unsupported_format")
    _error(client.post("/api/screen", content=b"x", headers={"content-type": "text/plain"}), 415, "unsupported_media_type")  # fmt: skip
    _error(client.get("/api/screen"), 405, "method_not_allowed")
    _error(client.get("/nowhere"), 404, "not_found")


def test_empty_and_crs_errors_are_400(client: TestClient, tmp_path: Path) -> None:
    empty = {"type": "FeatureCollection", "features": []}
    msg = _error(
        client.post("/api/screen", json={"project_type": "solar_pv", "site": empty}),
        400,
        "empty_input",
    )
    assert "no features" in msg
    # a GK point declared as lon/lat: the CLI's CRS check refuses it
    msg = _error(
        client.post(
            "/api/screen",
            json={
                "project_type": "solar_pv",
                "site": {"type": "Point", "coordinates": [38_300_000, 4_190_000]},
            },
        ),
        400,
        "bad_crs",
    )
    assert msg


def test_unknown_project_type_is_422_with_the_suggestion(client: TestClient) -> None:
    msg = _error(client.post("/api/screen", json={"project_type": "solar_p", "site": S1}), 422, "unknown_project_type")  # fmt: skip
    assert "did you mean solar_pv" in msg
    msg = _error(_upload(client, "a.geojson", DEMO_SITES.read_bytes(), project_type="chemcal"), 422, "unknown_project_type")  # fmt: skip
    assert "chemical" in msg


# --------------------------------------------------------------------------- safety


def _zip_bytes(members: dict[str, bytes], *, symlink: str | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
        if symlink is not None:
            info = zipfile.ZipInfo(symlink)
            info.external_attr = (0o120777 << 16) | 0
            zf.writestr(info, "/etc/passwd")
    return buf.getvalue()


KML = (
    b'<?xml version="1.0" encoding="UTF-8"?><kml xmlns="http://www.opengis.net/kml/2.2">'
    b"<Document><Placemark><name>P</name><Point><coordinates>112.55,37.87</coordinates>"
    b"</Point></Placemark></Document></kml>"
)


def test_a_plain_kmz_is_screened(client: TestClient, tmp_path: Path) -> None:
    path = tmp_path / "p.kmz"
    path.write_bytes(_zip_bytes({"doc.kml": KML}))
    api = _upload(client, "p.kmz", path.read_bytes())
    assert api.status_code == 200, api.text
    assert _without_id(api.json()) == _cli_json(path, "-t", "solar_pv")


@pytest.mark.parametrize(
    ("members", "symlink", "found"),
    [
        ({"doc.kml": KML, "../../evil.kml": KML}, None, "'..'"),
        ({"doc.kml": KML, "/tmp/evil.kml": KML}, None, "absolute path"),
        ({"doc.kml": KML, "..\\evil.kml": KML}, None, "backslash"),
        ({"doc.kml": KML}, "evil-link", "symbolic link"),
    ],
)
def test_zip_slip_kmz_is_refused(
    client: TestClient, tmp_root: Path, members: dict, symlink: str | None, found: str
) -> None:
    msg = _error(
        _upload(client, "slip.kmz", _zip_bytes(members, symlink=symlink)), 400, "bad_input"
    )
    assert found in msg and "nothing was unpacked" in msg
    assert not list(tmp_root.iterdir())  # the private folder is gone
    for where in (tmp_root, tmp_root.parent, tmp_root.parent.parent, Path("/tmp")):
        assert not (where / "evil.kml").exists()


def test_zip_bomb_is_refused(demo_catalog, tmp_path: Path) -> None:
    # 8 MiB of zeros deflate to ~8 KB; the cap of a 1 MB server is 4 MiB unpacked
    bomb = _zip_bytes({"doc.kml": b"\0" * (8 << 20)})
    assert len(bomb) < 20_000
    c = _app(demo_catalog, max_upload_mb=1, tmp_root=tmp_path)
    msg = _error(_upload(c, "bomb.kmz", bomb), 400, "bad_input")
    assert "more than the limit of 4,194,304" in msg
    # at the default cap (200 MiB unpacked) the ratio gives it away
    c = _app(demo_catalog, tmp_root=tmp_path)
    msg = _error(_upload(c, "bomb.zip", bomb), 400, "bad_input")
    assert "zip bomb" in msg
    assert not list(tmp_path.iterdir())


def test_zip_with_too_many_members_is_refused(client: TestClient) -> None:
    members = {f"f{i}.txt": b"x" for i in range(1001)}
    msg = _error(_upload(client, "many.zip", _zip_bytes(members)), 400, "bad_input")
    assert "1,001 members" in msg


def test_a_lying_archive_stops_at_the_limit(client: TestClient) -> None:
    # the header declares 1,000 bytes; the member inflates to 1 MiB: refused as damaged
    data = bytearray(_zip_bytes({"doc.kml": b"\0" * (1 << 20)}))
    real = (1 << 20).to_bytes(4, "little")
    fake = (1000).to_bytes(4, "little")
    assert data.count(real) == 2  # the local header and the central directory
    data = data.replace(real, fake)
    msg = _error(_upload(client, "liar.kmz", bytes(data)), 400, "bad_input")
    assert "damaged" in msg


def test_a_60_mb_body_is_413_before_it_is_read(client: TestClient, tmp_root: Path) -> None:
    body = b"0" * (60 << 20)
    msg = _error(_upload(client, "big.geojson", body), 413, "too_large")
    assert "50 MB" in msg
    assert not list(tmp_root.iterdir())


def test_a_chunked_body_is_cut_while_streaming(demo_catalog, tmp_path: Path) -> None:
    """A real server on loopback: 60 MiB offered in 1 MiB chunks with no Content-Length is
    answered 413 after about 1 MiB, and nothing reaches the private folder.
    """
    import socket
    from urllib.parse import urlsplit

    from zoning.serve.live import running

    app = create_app(
        ServeConfig(warm_up=False, max_upload_mb=1, tmp_root=tmp_path), catalog=demo_catalog
    )
    with running(app) as url:
        port = urlsplit(url).port
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        sock.sendall(
            b"POST /api/screen HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        chunk = b"100000\r\n" + b"0" * (1 << 20) + b"\r\n"
        sent, answer = 0, b""
        sock.settimeout(0.5)
        for _ in range(60):
            try:
                sock.sendall(chunk)
                sent += 1
                answer += sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:  # the server closed the connection after answering
                break
            if answer:
                break
        sock.settimeout(5)
        try:
            while b"\r\n\r\n" not in answer or b"}}" not in answer:
                more = sock.recv(65536)
                if not more:
                    break
                answer += more
        except OSError:
            pass
        sock.close()
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b'"too_large"' in answer
    assert sent <= 4  # refused on the way (1 MiB cap), not after reading 60 MiB
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize(
    "name", ["../../evil.geojson", "/etc/evil.geojson", "..", "a/../b.geojson"]
)
def test_path_like_file_names_are_refused(client: TestClient, tmp_root: Path, name: str) -> None:
    _error(_upload(client, name, DEMO_SITES.read_bytes()), 400, "bad_filename")
    assert not list(tmp_root.iterdir())
    assert not (tmp_root.parent / "evil.geojson").exists()


@pytest.mark.parametrize(
    "name", ["C:\\evil.geojson", "a\\..\\b.geojson", "c:evil.geojson", "", " . ", "x\x00.kml"]
)
def test_upload_suffix_refuses_windows_paths_and_odd_names(name: str) -> None:
    from zoning.serve.responses import ApiError
    from zoning.serve.uploads import upload_suffix

    with pytest.raises(ApiError) as err:
        upload_suffix(name)
    assert err.value.status == 400 and err.value.code == "bad_filename"


def test_private_folder_is_removed_after_success_and_failure(
    client: TestClient, tmp_root: Path
) -> None:
    assert _upload(client, "demo_sites.geojson", DEMO_SITES.read_bytes()).status_code == 200
    assert _upload(client, "x.gpkg", b"garbage").status_code == 400
    assert not list(tmp_root.iterdir())


def test_no_traceback_reaches_the_client(client: TestClient, monkeypatch) -> None:
    import zoning.screening.request as sr
    import zoning.serve.screen_job as sj

    def boom(*args, **kwargs):
        raise RuntimeError("secret detail /srv/private/path")

    # both readers: the file's, and the one that builds a plain JSON site without a file
    monkeypatch.setattr(sr, "read_sites", boom)
    monkeypatch.setattr(sj, "sites_from_plan", boom)
    r = client.post("/api/screen", json={"project_type": "solar_pv", "site": S1})
    msg = _error(r, 500, "internal")
    assert "secret" not in r.text and "/srv" not in r.text and "server's log" in msg


def test_a_full_pool_answers_503_with_retry_after(demo_catalog) -> None:
    c = _app(demo_catalog, workers=1, queue=0)
    pool = c.app.state.zoning.pool
    release = threading.Event()
    busy = pool.try_submit(release.wait, 30)
    try:
        r = c.post("/api/screen", json={"project_type": "solar_pv", "site": S1})
        _error(r, 503, "busy")
        assert r.headers["retry-after"] == "2"
    finally:
        release.set()
        busy.result(timeout=30)
    assert c.post("/api/screen", json={"project_type": "solar_pv", "site": S1}).status_code == 200


def test_token_bearer_cookie_and_query(demo_catalog) -> None:
    c = _app(demo_catalog, token="s3cret-token")
    _error(c.get("/api/health"), 401, "unauthorized")
    msg = _error(c.get("/api/health", headers={"Authorization": "Bearer wrong"}), 401, "unauthorized")  # fmt: skip
    assert "wrong token" in msg
    _error(c.post("/api/screen", json={"project_type": "solar_pv", "site": S1}), 401, "unauthorized")  # fmt: skip
    assert c.get("/api/health", headers={"Authorization": "Bearer s3cret-token"}).status_code == 200
    # ?token= once: a redirect without it, and a cookie the page's own requests then carry
    r = c.get("/?token=s3cret-token&lang=en", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/?lang=en"
    assert "HttpOnly" in r.headers["set-cookie"] and "SameSite=Strict" in r.headers["set-cookie"]
    assert c.get("/api/health").status_code == 200  # the client kept the cookie
    c.cookies.clear()
    _error(c.get("/?token=nope"), 401, "unauthorized")


def test_loopback_server_answers_only_loopback_host_names(demo_catalog) -> None:
    c = _app(demo_catalog, allowed_hosts=("127.0.0.1", "localhost", "[::1]"))
    for host in ("127.0.0.1:8765", "localhost", "[::1]:8765"):
        assert c.get("/api/health", headers={"Host": host}).status_code == 200
    msg = _error(c.get("/api/health", headers={"Host": "evil.example:8765"}), 400, "bad_host")
    assert "evil.example" in msg


def test_page_and_assets_come_from_the_server_with_csp(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "default-src 'self'" in csp and "script-src 'self'" in csp
    assert "http" not in csp  # no other origin is allowed
    for src in ("/assets/leaflet.js", "/assets/leaflet.draw.js", "/static/app.js"):
        assert src in page.text
        assert client.get(src).status_code == 200
    assert "//" not in page.text.replace("http://www.w3.org", "")  # no absolute URL at all
    _error(client.get("/assets/..%2F..%2Fpyproject.toml"), 404, "not_found")


def test_layers_search_and_view_export(client: TestClient, demo_catalog) -> None:
    index = client.get("/api/layers").json()
    kinds = [x["kind"] for x in index["layers"]]
    assert kinds[-1] == "admin_unit" and "eco_redline" in kinds
    red = next(x for x in index["layers"] if x["kind"] == "eco_redline")
    # the cartography of `zoning map` (zoning.maps.style): the general red line is #d7191c
    assert {z["zone"]: z["style"]["fillColor"] for z in red["zones"]}["general"] == "#d7191c"
    gj = client.get("/api/layers/eco_redline.geojson").json()
    assert len(gj["features"]) == len(demo_catalog.frame("eco_redline"))
    _error(client.get("/api/layers/nothing.geojson"), 404, "not_found")
    name = str(demo_catalog.frame("protected_area")["name"].dropna().iloc[0])
    found = client.get("/api/search", params={"q": name}).json()["features"]
    assert any(f["name"] == name and f["kind"] == "protected_area" for f in found)
    r = client.get(
        "/api/map.html", params={"kinds": "eco_redline", "bbox": "112.6,37.8,112.9,38.0"}
    )
    assert r.status_code == 200 and "<script" in r.text
    assert r.headers["content-security-policy"].startswith("sandbox")
    _error(client.get("/api/map.html", params={"bbox": "1,2,3"}), 400, "bad_request")
    _error(client.get("/api/map.html", params={"kinds": "nope"}), 400, "bad_request")


def test_runs_are_listed_read_only(demo_catalog, tmp_path: Path) -> None:
    run = tmp_path / "runs" / "2024"
    (run / "screening").mkdir(parents=True)
    (run / "report.html").write_text("<html>stats report</html>", encoding="utf-8")
    (run / "screening" / "report.html").write_text("<html>screening</html>", encoding="utf-8")
    (run / "manifest.json").write_text('{"created": "2024-06-01T00:00:00Z"}', encoding="utf-8")
    (tmp_path / "outside.html").write_text("secret", encoding="utf-8")
    c = _app(demo_catalog, runs_dir=tmp_path / "runs")
    runs = c.get("/api/runs").json()["runs"]
    assert runs[0]["run"] == "2024" and "screening/report.html" in runs[0]["files"]
    assert "screening/report.html" in c.get("/runs").text
    assert c.get("/runs/2024/screening/report.html").text == "<html>screening</html>"
    _error(c.get("/runs/2024/..%2F..%2Foutside.html"), 404, "not_found")
    _error(c.get("/runs/..%2Foutside.html/x"), 404, "not_found")
    _error(_app(demo_catalog).get("/api/runs"), 404, "not_found")


# --------------------------------------------------------------------------- the command


def test_serve_refuses_to_bind_beyond_loopback_without_a_token() -> None:
    r = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0"])
    assert r.exit_code == 2 and "--token" in r.output
    r = CliRunner().invoke(cli, ["serve", "--host", "0.0.0.0", "--token", "short"])
    assert r.exit_code == 2 and "at least 8" in r.output
    r = CliRunner().invoke(cli, ["serve", "--token", "long-enough", "--no-auth"])
    assert r.exit_code == 2


def test_zoning_serve_starts_prints_its_url_and_answers(demo_catalog_path: Path) -> None:
    """The command itself: a child process on a free loopback port, stopped by its pid."""
    import os
    import socket
    import subprocess
    import sys
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    root = Path(__file__).resolve().parent.parent
    env = dict(os.environ, PYTHONPATH=str(root))
    proc = subprocess.Popen(
        [sys.executable, "-c", "from zoning.cli.main import cli; cli()", "serve", "--port", str(port),
         "--catalog", str(demo_catalog_path), "--token", "t0ken-for-test"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = proc.stdout.readline()
        assert line.strip() == f"zoning serve: http://127.0.0.1:{port}/?token=t0ken-for-test"
        req = urllib.request.Request(
            f"http://127.0.0.1:{port}/api/health",
            headers={"Authorization": "Bearer t0ken-for-test"},
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(req, timeout=5) as r:
                    doc = json.loads(r.read())
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        assert doc["status"] == "ok"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        proc.stdout.close()
        proc.stderr.close()

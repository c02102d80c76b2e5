"""The pages people use: the agent's phone app, the booking page and the dispatcher console.

Pages only render templates; every piece of data comes from the JSON API with a bearer token
the page obtains itself. Strings live in Flask-Babel catalogues (Chinese default, English);
pybabel extracts the scripts' ``t("...")`` and ``N_("...")`` strings (``make translations``),
and each page gets those of its language as JSON.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import xstatic.pkg.leaflet as xleaflet
from babel.messages.extract import extract
from flask import (
    Blueprint,
    Flask,
    current_app,
    make_response,
    render_template,
    request,
    send_from_directory,
)
from flask_babel import Babel, get_locale, gettext

from dispatch.models.status_labels import labels_in

LANGS = ("zh", "en")
LANG_COOKIE = "daiban_lang"
DIVISION_FILES = {"counties": "counties.geojson", "townships": "townships.geojson"}

SCRIPTS = Path(__file__).resolve().parent / "static" / "js"
#: The scripts' marking functions, as ``pybabel extract -k t -k N_`` reads them.
SCRIPT_KEYWORDS: dict[str, Any] = {"t": None, "N_": None}

bp = Blueprint(
    "web",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/web/static",
)
babel = Babel()


def select_locale() -> str:
    """``?lang=`` first, then the cookie the toggle set, then Simplified Chinese."""
    for lang in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if lang in LANGS:
            return lang
    return "zh"


@bp.record_once
def _init_babel(state: Any) -> None:
    app: Flask = state.app
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "zh")
    babel.init_app(app, locale_selector=select_locale)


@bp.after_app_request
def _remember_lang(response: Any) -> Any:
    lang = request.args.get("lang")
    if lang in LANGS and not request.path.startswith("/api/"):
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="Lax")
    return response


@bp.app_context_processor
def _page_context() -> dict[str, Any]:
    cfg = current_app.config
    return {
        "lang": str(get_locale() or "zh"),
        "other_lang": "en" if str(get_locale()) == "zh" else "zh",
        "map_config": {
            "tile_url": cfg.get("MAP_TILE_URL", ""),
            "tile_datum": cfg.get("MAP_TILE_DATUM", "WGS-84"),
            "push": cfg.get("PUSH_CHANNEL") == "fcm" and bool(cfg.get("FCM_URL")),
        },
        "js_strings": js_strings(),
        "status_labels": labels_in(str(get_locale() or "zh")),
    }


@lru_cache(maxsize=1)
def script_messages() -> tuple[str, ...]:
    """The msgids the scripts use, found by Babel's JavaScript extractor as pybabel finds them."""
    found: set[str] = set()
    for path in sorted(SCRIPTS.glob("*.js")):
        with path.open("rb") as fh:
            for _line, message, _comments, _context in extract(
                "javascript", fh, keywords=SCRIPT_KEYWORDS
            ):
                found.add(message if isinstance(message, str) else message[0])
    return tuple(sorted(found))


def js_strings() -> dict[str, str]:
    """Every script string in the request's language."""
    return {m: gettext(m) for m in script_messages()}


def _page(template: str) -> Any:
    response = make_response(render_template(template))
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/")
def index() -> Any:
    return _page("index.html")


@bp.route("/app")
@bp.route("/app/")
def agent_app() -> Any:
    return _page("agent.html")


@bp.route("/app/sw.js")
def service_worker() -> Any:
    # Its scope is /app, the page itself, which lies outside the default maximum scope of
    # /app/sw.js (/app/); the header allows it. Never cached by the browser.
    response = make_response(render_template("sw.js"))
    response.headers["Service-Worker-Allowed"] = "/app"
    response.headers["Content-Type"] = "application/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.route("/app/manifest.webmanifest")
def manifest() -> Any:
    response = make_response(render_template("manifest.webmanifest"))
    response.headers["Content-Type"] = "application/manifest+json; charset=utf-8"
    return response


@bp.route("/favicon.ico")
def favicon() -> Any:
    """Browsers ask for it on every page; made from icons/icon-192.png (16, 32, 48 px)."""
    folder = Path(bp.static_folder or "") / "icons"
    return send_from_directory(folder, "favicon.ico", max_age=86400, mimetype="image/x-icon")


@bp.route("/book")
def booking() -> Any:
    return _page("book.html")


@bp.route("/console")
def console() -> Any:
    return _page("console.html")


@bp.route("/supervise")
def supervise() -> Any:
    return _page("supervise.html")


@bp.route("/results")
def results() -> Any:
    """The public monthly 好差评 results (公示); no login, no personal data."""
    return _page("results.html")


@bp.route("/rate/<token>")
def rate(token: str) -> Any:
    """The public rating page of an SMS link; the page checks the token through the API."""
    response = make_response(render_template("rate.html", token=token))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/web/vendor/leaflet/<path:filename>")
def leaflet(filename: str) -> Any:
    return send_from_directory(xleaflet.BASE_DIR, filename, max_age=86400)


@bp.route("/web/divisions/<name>.geojson")
def divisions(name: str) -> Any:
    """County and township outlines for the map without tiles (offline, tests)."""
    if name not in DIVISION_FILES:
        return {"code": 404, "status": "Not Found", "message": f"no outline {name}"}, 404
    folder = Path(current_app.config["DIVISIONS_DIR"])
    response = send_from_directory(folder, DIVISION_FILES[name], max_age=86400)
    response.headers["Content-Type"] = "application/geo+json"
    return response


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)

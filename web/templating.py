"""Jinja2 templates with the request's language: every page is rendered through `render`."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from starlette.responses import HTMLResponse

from corpus.store import org_key
from web.i18n import COOKIE, LANGUAGES, Translator, pick_language
from web.present import Text, period

templates = Jinja2Templates(directory=Path(__file__).parent / "templates")
# Jinja2Templates turns autoescape on for .html; say it anyway, it is what keeps case text
# holding markup from running in the page.
templates.env.autoescape = True
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
# The templates ship with the code and change only with it (a new server): without this
# every page asked the file system for the time of each template it uses (page, base,
# macros, charts).
templates.env.auto_reload = False


def language_of(request: Request) -> str:
    """The request's language: the `lang` cookie, else Accept-Language, else Danish."""
    return pick_language(request.cookies.get(COOKIE), request.headers.get("accept-language"))


def case_url(case_id: str) -> str:
    """Path of a case page."""
    return "/cases/" + quote(case_id, safe="")


def organisation_url(name: str, organisation_id: str | None = None) -> str:
    """Path of an organisation page (by source id when known, else by folded name)."""
    return "/organisations/" + quote(org_key(name, organisation_id), safe=":")


def query_url(path: str, params: list[tuple[str, str]]) -> str:
    """`path?params`, leaving out empty values."""
    params = [(k, v) for k, v in params if v not in ("", None)]
    return f"{path}?{urlencode(params)}" if params else path


def language_url(request: Request, code: str) -> str:
    """Link that switches to language `code` and comes back to the current page."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return query_url(f"/lang/{code}", [("next", here)])


def txt(value: object, page_lang: str) -> Markup | str:
    """A text for the page: a `present.Text` in another language gets `lang` (screen readers).

    Plain strings come back as they are (the template escapes them).
    """
    if isinstance(value, Text):
        if value.lang != page_lang:
            return Markup('<span lang="{}">{}</span>').format(value.lang, value.text)
        return value.text
    return "" if value is None else value


templates.env.globals.update(
    txt=txt,
    language_url=language_url,
    period=period,
    case_url=case_url,
    organisation_url=organisation_url,
    query_url=query_url,
    languages=LANGUAGES,
)


def render(
    request: Request, name: str, context: dict[str, Any] | None = None, status_code: int = 200
) -> HTMLResponse:
    """Render a template with the request's translator `t` and language."""
    lang = language_of(request)
    ctx = {"t": Translator(lang), "lang": lang, **(context or {})}
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    response.headers["Content-Language"] = lang
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response

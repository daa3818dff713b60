"""Server-rendered SVG charts and a map of the cases in a search (no script, no CDN).

`overview(ids, briefs, t, query)` counts the cases of a search by start year and
country, by policy area and by provider model, and places the cases' places on a simple
equirectangular map (longitude and latitude as x and y; only a graticule drawn here, no
map data). Every bar and every place is a link that adds its filter to the search, and
every chart comes with the same figures as a table for screen readers and text browsers.
The charts read a case's `Brief` (`web.briefs`), or a `Case`: the same attribute names.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup, escape

from web.briefs import Brief
from web.i18n import Translator
from web.params import SearchQuery
from web.present import sector_group
from web.templating import query_url

#: Countries drawn apart in the year chart; the rest are summed as "other countries".
TOP_COUNTRIES = 5
#: Colours of the country series (dark enough on white, told apart by the table too).
PALETTE = ("#1f5fa8", "#c2571a", "#2e7d32", "#7b3fa0", "#a0293a", "#5f6b75")
BAR_W, BAR_GAP, CHART_H = 16, 4, 160
#: The Nordic inset's box (lng, lat), where most of the cases a Danish reader looks for lie.
NORDIC_BOX = (4.0, 54.0, 32.0, 71.5)


@dataclass
class Chart:
    """One chart: its title, the SVG, the figures as table rows and a short text."""

    key: str
    title: str
    svg: Markup
    head: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    note: str = ""


def _with(query: SearchQuery | None, pairs: list[tuple[str, str]]) -> str:
    """The search's URL with filter values added (back to page 1)."""
    query = query or SearchQuery()
    filters = {k: list(v) for k, v in query.filters.items()}
    for name, value in pairs:
        values = filters.setdefault(name, [])
        if value not in values:
            values.append(value)
    return query_url("/search", query.params_with_filters(filters))


def _tag(template: str, *values: Any) -> Markup:
    """`Markup(template).format(*values)` for a `{}`-only template, at a fraction of the
    cost: a map draws each of a few hundred places twice, and `Markup.format` goes
    through `string.Formatter` for every field. Each value is escaped the same way."""
    return Markup(template.format(*(escape(v) for v in values)))


def _link(url: str, label: str, inner: Markup) -> Markup:
    return _tag('<a href="{}" aria-label="{}">{}<title>{}</title></a>', url, label, inner, label)


def year_chart(cases: list[Brief], t: Translator, query: SearchQuery | None) -> Chart:
    """Stacked columns: cases per start year, split by the most frequent countries."""
    by_country = Counter(c.countries[0] for c in cases if c.countries)
    top = [code for code, _ in by_country.most_common(TOP_COUNTRIES)]
    counts: dict[int, Counter] = defaultdict(Counter)
    no_year = 0
    for c in cases:
        if c.start_year is None:
            no_year += 1
            continue
        country = c.countries[0] if c.countries else ""
        counts[c.start_year][country if country in top else "other"] += 1
    series = [*top, "other"] if any(v["other"] for v in counts.values()) else top
    names = {code: t.country(code) for code in top} | {"other": t("chart.other_countries")}
    years = list(range(min(counts), max(counts) + 1)) if counts else []
    peak = max((sum(v.values()) for v in counts.values()), default=1)
    width = 40 + len(years) * (BAR_W + BAR_GAP)
    parts: list[Markup] = []
    for i, year in enumerate(years):
        x = 36 + i * (BAR_W + BAR_GAP)
        y = CHART_H
        for s, code in enumerate(series):
            n = counts[year][code]
            if not n:
                continue
            h = max(2, round(n / peak * (CHART_H - 20)))
            y -= h
            rect = _tag(
                '<rect x="{}" y="{}" width="{}" height="{}" fill="{}"></rect>',
                x,
                y,
                BAR_W,
                h,
                PALETTE[s % len(PALETTE)],
            )
            pairs = [("start_year", str(year))] + ([("country", code)] if code != "other" else [])
            label = t("chart.bar_label", label=f"{year}, {names[code]}", n=n)
            parts.append(_link(_with(query, pairs), label, rect))
        # A year label needs about 28 px: label every second column when they are narrower.
        if i % (2 if len(years) > 6 else 1) == 0:
            parts.append(
                Markup('<text x="{}" y="{}" font-size="10" text-anchor="middle">{}</text>').format(
                    x + BAR_W / 2, CHART_H + 14, year
                )
            )
    parts.append(
        Markup('<text x="0" y="12" font-size="10">{}</text>').format(peak)
        + Markup('<line x1="34" y1="{}" x2="{}" y2="{}" stroke="#555"></line>').format(
            CHART_H, width, CHART_H
        )
    )
    legend = Markup("").join(
        Markup(
            '<rect x="{}" y="{}" width="10" height="10" fill="{}"></rect>'
            '<text x="{}" y="{}" font-size="10">{}</text>'
        ).format(
            36 + (i % 3) * 120,
            CHART_H + 24 + (i // 3) * 14,
            PALETTE[i % len(PALETTE)],
            50 + (i % 3) * 120,
            CHART_H + 33 + (i // 3) * 14,
            names[code],
        )
        for i, code in enumerate(series)
    )
    height = CHART_H + 30 + ((len(series) + 2) // 3) * 14
    svg = _svg("year", t("chart.by_year"), max(width, 400), height, Markup("").join(parts) + legend)
    rows = [
        [
            {"text": str(y), "url": _with(query, [("start_year", str(y))])},
            *[counts[y][code] for code in series],
        ]
        for y in years
        if counts[y]
    ]
    note = t("chart.no_year", n=no_year) if no_year else ""
    head = [t("chart.year"), *[names[c] for c in series]]
    return Chart("year", t("chart.by_year"), svg, head, rows, note)


def _svg(key: str, title: str, width: float, height: float, body: Markup) -> Markup:
    return Markup(
        '<svg class="chart-svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'aria-labelledby="chart-{k}-t" preserveAspectRatio="xMinYMin meet">'
        '<title id="chart-{k}-t">{title}</title>{body}</svg>'
    ).format(w=round(width), h=round(height), k=key, title=title, body=body)


def bar_chart(
    key: str,
    title: str,
    items: list[tuple[str, int, str]],
    t: Translator,
) -> Chart:
    """Horizontal bars `(label, count, url)`, largest first."""
    items = sorted(items, key=lambda x: (-x[1], x[0]))
    peak = max((n for _, n, _ in items), default=1)
    row_h, label_w, bar_max = 20, 180, 140
    parts = []
    for i, (label, n, url) in enumerate(items):
        y = i * row_h
        w = max(2, round(n / peak * bar_max))
        inner = Markup(
            '<text x="{}" y="{}" font-size="11" text-anchor="end">{}</text>'
            '<rect x="{}" y="{}" width="{}" height="14" fill="{}"></rect>'
            '<text x="{}" y="{}" font-size="11">{}</text>'
        ).format(
            label_w - 6,
            y + 11,
            label if len(label) <= 30 else label[:29] + "…",
            label_w,
            y + 2,
            w,
            PALETTE[0],
            label_w + w + 4,
            y + 13,
            n,
        )
        parts.append(_link(url, t("chart.bar_label", label=label, n=n), inner))
    svg = _svg(
        key, title, label_w + bar_max + 40, max(row_h, len(items) * row_h), Markup("").join(parts)
    )
    rows = [[{"text": label, "url": url}, n] for label, n, url in items]
    return Chart(key, title, svg, [title, t("chart.cases")], rows)


def sector_chart(cases: list[Brief], t: Translator, query: SearchQuery | None) -> Chart:
    """Cases per policy area (INDIGO's two spellings of an area counted as one)."""
    groups: dict[str, set[str]] = defaultdict(set)
    counts: Counter = Counter()
    for c in cases:
        if c.sector:
            label = t.value("sector", sector_group(c.sector))
            groups[label].add(c.sector)
            counts[label] += 1
    items = [
        (label, n, _with(query, [("sector", v) for v in sorted(groups[label])]))
        for label, n in counts.items()
    ]
    return bar_chart("sector", t("chart.by_sector"), items, t)


def provider_chart(cases: list[Brief], t: Translator, query: SearchQuery | None) -> Chart:
    """Cases per provider model (who delivered: the public body, an NGO, a company...)."""
    counts = Counter(c.provider_model for c in cases)
    items = [
        (t.value("provider_model", m), n, _with(query, [("provider_model", m)]))
        for m, n in counts.items()
    ]
    return bar_chart("provider", t("chart.by_provider"), items, t)


def _points(cases: list[Brief], t: Translator) -> list[dict[str, Any]]:
    """Places with coordinates, one per name and country (as the reader's language says
    the name: `Translator.place_name`), with how many cases are there."""
    points: dict[tuple, dict[str, Any]] = {}
    for c in cases:
        seen: set[tuple] = set()
        for p in c.places:
            if p.lat is None or p.lng is None or not (-90 <= p.lat <= 90 and -180 <= p.lng <= 180):
                continue
            country = p.country or (c.countries[0] if c.countries else None)
            name = t.place_name(t.name_of(p), country)
            key = (name.casefold(), country)
            if key in seen:
                continue
            seen.add(key)
            point = points.setdefault(
                key, {"name": name, "country": country, "lat": p.lat, "lng": p.lng, "n": 0}
            )
            point["n"] += 1
    return sorted(points.values(), key=lambda x: (-x["n"], x["name"]))


def _map_svg(
    key: str,
    title: str,
    points: list[dict[str, Any]],
    box: tuple[float, float, float, float],
    width: int,
    t: Translator,
    query: SearchQuery | None,
    labels: int,
) -> Markup:
    """Points on an equirectangular projection of `box` (lng0, lat0, lng1, lat1)."""
    lng0, lat0, lng1, lat1 = box
    # Equirectangular with the box's middle latitude as standard parallel, so the Nordic
    # countries are not stretched sideways.
    parallel = math.cos(math.radians((lat0 + lat1) / 2))
    height = round(width * (lat1 - lat0) / ((lng1 - lng0) * parallel))

    def xy(lng: float, lat: float) -> tuple[float, float]:
        return (
            round((lng - lng0) / (lng1 - lng0) * width, 1),
            round((lat1 - lat) / (lat1 - lat0) * height, 1),
        )

    step = 30 if lng1 - lng0 > 90 else 5
    grid = []
    for lng in range(-180, 181, step):
        if lng0 <= lng <= lng1:
            x, _ = xy(lng, 0)
            grid.append(Markup('<line x1="{}" y1="0" x2="{}" y2="{}"></line>').format(x, x, height))
    for lat in range(-90, 91, step):
        if lat0 <= lat <= lat1:
            _, y = xy(0, lat)
            grid.append(Markup('<line x1="0" y1="{}" x2="{}" y2="{}"></line>').format(y, width, y))
    dots = []
    inside = [p for p in points if lng0 <= p["lng"] <= lng1 and lat0 <= p["lat"] <= lat1]
    taken: list[tuple[float, float, float, float]] = []
    for p in inside:
        x, y = xy(p["lng"], p["lat"])
        r = min(9, 3 + p["n"])
        name = p["name"] or t.country(p["country"])
        label = t("chart.bar_label", label=f"{name} ({t.country(p['country'])})", n=p["n"])
        inner = _tag('<circle cx="{}" cy="{}" r="{}"></circle>', x, y, r)
        # Label the places with most cases first, and only where no label is yet.
        short = name.split(",")[0]
        box = (x + r + 1, y - 8, x + r + 3 + 5.5 * len(short), y + 4)
        free = not any(
            box[0] < b[2] and b[0] < box[2] and box[1] < b[3] and b[1] < box[3] for b in taken
        )
        if len(taken) < labels and free and box[2] <= width:
            taken.append(box)
            inner += _tag('<text x="{}" y="{}" font-size="10">{}</text>', box[0], y + 3, short)
        url = _with(query, [("country", p["country"])]) if p["country"] else "/search"
        dots.append(_link(url, label, inner))
    body = (
        Markup('<rect class="sea" x="0" y="0" width="{}" height="{}"></rect>').format(width, height)
        + Markup('<g class="grid">{}</g>').format(Markup("").join(grid))
        + Markup('<g class="dots">{}</g>').format(Markup("").join(dots))
    )
    return _svg(key, title, width, height, body)


def _fit(points: list[dict[str, Any]]) -> tuple[float, float, float, float]:
    """A box around the points with a margin, at least 6 degrees of longitude wide."""
    lngs, lats = [p["lng"] for p in points], [p["lat"] for p in points]
    lng0, lng1 = min(lngs) - 1.5, max(lngs) + 3.5  # room on the right for labels
    lat0, lat1 = min(lats) - 1.0, max(lats) + 1.0
    if lng1 - lng0 < 6:
        mid = (lng0 + lng1) / 2
        lng0, lng1 = mid - 3, mid + 3
    if lat1 - lat0 < 3:
        mid = (lat0 + lat1) / 2
        lat0, lat1 = mid - 1.5, mid + 1.5
    # No taller than wide (as drawn): widen the box instead of drawing a narrow strip.
    parallel = math.cos(math.radians((lat0 + lat1) / 2))
    wide = (lat1 - lat0) / parallel
    if lng1 - lng0 < wide:
        mid = (lng0 + lng1) / 2
        lng0, lng1 = mid - wide / 2, mid + wide / 2
    return (lng0, lat0, lng1, lat1)


def map_chart(cases: list[Brief], t: Translator, query: SearchQuery | None) -> Chart | None:
    """The world and a Nordic inset, with a point per case place that has coordinates.

    None when no place of these cases has coordinates (there is nothing to draw).
    """
    points = _points(cases, t)
    if not points:
        return None
    world = _map_svg("map", t("chart.map"), points, (-180, -60, 180, 80), 640, t, query, 0)
    svg = world
    nordic = [
        p
        for p in points
        if NORDIC_BOX[0] <= p["lng"] <= NORDIC_BOX[2] and NORDIC_BOX[1] <= p["lat"] <= NORDIC_BOX[3]
    ]
    if nordic:
        svg += _map_svg(
            "map-nordic", t("chart.map_nordic"), points, _fit(nordic), 480, t, query, 25
        )
    rows = [
        [
            {
                "text": p["name"] or t.country(p["country"]),
                "url": _with(query, [("country", p["country"])]) if p["country"] else "/search",
            },
            t.country(p["country"]),
            p["n"],
        ]
        for p in points
    ]
    return Chart(
        "map",
        t("chart.map"),
        svg,
        [t("chart.place"), t("chart.country"), t("chart.cases")],
        rows,
        t("chart.map_note"),
    )


def overview(
    ids: list[str],
    briefs: dict[str, Brief],
    t: Translator,
    query: SearchQuery | None = None,
) -> list[Chart]:
    """The charts and the map of a search's cases (the ids of all of its results, in
    their order, not one page)."""
    shown = [briefs[i] for i in ids if i in briefs]
    if not shown:
        return []
    drawn = [
        year_chart(shown, t, query),
        sector_chart(shown, t, query),
        provider_chart(shown, t, query),
        map_chart(shown, t, query),
    ]
    return [c for c in drawn if c is not None]

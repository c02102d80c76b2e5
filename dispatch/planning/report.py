"""A self-contained HTML report of a day: a map of one township's routes, a timeline per agent.

Inline SVG only, so the file opens offline from disk, on an intranet, anywhere.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, select_autoescape

from dispatch.models.plans import Plan, PlanStop
from dispatch.planning.labels import STEPS, english_label
from dispatch.workdays import CST

COLOURS = [
    "#e6194b",
    "#3cb44b",
    "#4363d8",
    "#f58231",
    "#911eb4",
    "#42d4f4",
    "#f032e6",
    "#9a6324",
    "#469990",
    "#800000",
    "#808000",
    "#000075",
]
W, H = 760, 560
GANTT_START, GANTT_END = 7 * 3600, 19 * 3600
#: The timeline's legend, (Chinese, English). Headings say both; a label says one language.
LEGEND: dict[str, tuple[str, str]] = {
    "stop": ("服务", "At a stop"),
    "travel": ("路上", "Travel"),
    "break": STEPS["break"],
}
LANGS = ("zh", "en")


class _Projection:
    """Equirectangular projection of a bounding box onto the SVG canvas."""

    def __init__(self, points: list[tuple[float, float]], pad: float = 0.02) -> None:
        lons, lats = [p[0] for p in points], [p[1] for p in points]
        self.x0, self.x1 = min(lons) - pad, max(lons) + pad
        self.y0, self.y1 = min(lats) - pad, max(lats) + pad
        sx = W / (self.x1 - self.x0)
        sy = H / (self.y1 - self.y0)
        self.s = min(sx, sy)

    def __call__(self, lon: float, lat: float) -> tuple[float, float]:
        return round((lon - self.x0) * self.s, 1), round((self.y1 - lat) * self.s, 1)


def _outline_paths(divisions_dir: Path, proj: _Projection, code_prefix: str) -> list[str]:
    paths = []
    for name in ("counties.geojson", "townships.geojson"):
        f = divisions_dir / name
        if not f.exists():
            continue
        for feature in json.loads(f.read_text(encoding="utf-8"))["features"]:
            props = feature["properties"]
            code = props.get("code") or (props.get("nbs_codes") or [""])[0]
            if not code.startswith(code_prefix[:6]):
                continue
            geom = feature["geometry"]
            polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
            for poly in polys:
                ring = poly[0]
                pts = " ".join(f"{x},{y}" for x, y in (proj(lon, lat) for lon, lat in ring))
                paths.append(pts)
    return paths


def _secs(moment: datetime) -> int:
    local = moment.astimezone(CST)
    return local.hour * 3600 + local.minute * 60


def _label(stop: PlanStop, lang: str) -> str:
    return english_label(stop.label, stop.kind) if lang == "en" else stop.label


def render_report(
    plan: Plan,
    summary: dict[str, Any],
    divisions_dir: Path,
    agent_names: dict[int, str],
    lang: str = "zh",
) -> str:
    """The day's report; stop labels and the legend in ``lang`` (``zh`` or ``en``)."""
    if lang not in LANGS:
        raise ValueError(f"lang: {lang!r} is not one of {LANGS}")
    stops = [s for r in plan.routes for s in r.stops]
    points = [(s.lon, s.lat) for s in stops] or [(116.37, 23.55)]
    proj = _Projection(points)
    routes = []
    for i, route in enumerate(plan.routes):
        colour = COLOURS[i % len(COLOURS)]
        xy = [proj(s.lon, s.lat) for s in route.stops]
        span = GANTT_END - GANTT_START
        bars = []
        prev_end = None
        for s in route.stops:
            a, d = _secs(s.arrival), _secs(s.departure)
            if prev_end is not None and a > prev_end:
                bars.append(("travel", prev_end, a, ""))
            if s.kind not in ("start", "end"):
                kind = "break" if s.kind == "break" else "stop"
                bars.append((kind, a, max(d, a + 60), _label(s, lang)))
            prev_end = d
        routes.append(
            {
                "agent": agent_names.get(route.agent_id, str(route.agent_id)),
                "colour": colour,
                "line": " ".join(f"{x},{y}" for x, y in xy),
                "points": xy,
                "labels": [_label(s, lang) for s in route.stops],
                "km": round(route.distance_m / 1000, 1),
                "bars": [
                    (
                        kind,
                        round((a - GANTT_START) / span * 100, 2),
                        round((b - a) / span * 100, 2),
                        label,
                    )
                    for kind, a, b, label in bars
                ],
            }
        )
    env = Environment(autoescape=select_autoescape(default=True))
    return env.from_string(TEMPLATE).render(
        plan=plan,
        summary=summary,
        routes=routes,
        W=W,
        H=H,
        lang=lang,
        legend={k: v[LANGS.index(lang)] for k, v in LEGEND.items()},
        outlines=_outline_paths(divisions_dir, proj, plan.township.code),
        hours=list(range(GANTT_START // 3600, GANTT_END // 3600 + 1)),
        unassigned=plan.summary.get("unassigned", []),
        hub=proj(plan.routes[0].stops[0].lon, plan.routes[0].stops[0].lat) if plan.routes else None,
    )


TEMPLATE = """<!doctype html>
<html lang="{{ 'zh-CN' if lang == 'zh' else 'en' }}"><head><meta charset="utf-8">
<title>代办调度日报 Daiban day report {{ plan.day }}</title>
<style>
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#222}
h1{font-size:22px} h2{font-size:18px;margin-top:28px}
table{border-collapse:collapse} td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}
.gantt{position:relative;height:22px;background:#f4f4f4;margin:2px 0;width:900px}
.bar{position:absolute;top:2px;height:18px;border-radius:2px}
.travel{background:#bbb}.break{background:#ffd27f}.legend span{display:inline-block;width:14px;
height:10px;margin:0 4px 0 12px}
</style></head><body>
<h1>代办调度日报 / Daiban day report — {{ plan.day }}</h1>
<h2>全市汇总 / City summary</h2>
<table>
<tr><th>乡镇 / Townships planned</th><td>{{ summary.planned }} / {{ summary.townships }}</td></tr>
<tr><th>在岗代办员 / Agents on shift</th><td>{{ summary.agents }}</td></tr>
<tr><th>任务 / Tasks</th><td>{{ summary.tasks }} (planned {{ summary.assigned }})</td></tr>
<tr><th>未排入 / Unassigned by reason</th><td>{% for r, n in summary.unassigned_by_reason.items()
 %}{{ r }}: {{ n }}<br>{% else %}0{% endfor %}</td></tr>
<tr><th>总里程 / Total km</th><td>{{ summary.km }}</td></tr>
<tr><th>最长工作日 / Longest agent day</th><td>{{ summary.longest_agent_day_hours }} h</td></tr>
<tr><th>均衡度 / Mean spread between agents</th><td>{{ summary.mean_spread_hours }} h</td></tr>
</table>
<h2>{{ plan.township.name }} 路线图 / Routes (plan v{{ plan.version }})</h2>
<svg width="{{ W }}" height="{{ H }}" viewBox="0 0 {{ W }} {{ H }}"
 style="background:#fafaf5;border:1px solid #ccc">
{% for o in outlines %}<polygon points="{{ o }}" fill="none" stroke="#9ab" stroke-width="1"/>
{% endfor %}
{% for r in routes %}<polyline points="{{ r.line }}" fill="none" stroke="{{ r.colour }}"
 stroke-width="2.5" opacity="0.85"/>
{% for p in r.points %}<circle cx="{{ p[0] }}" cy="{{ p[1] }}" r="4" fill="{{ r.colour }}">
<title>{{ r.agent }}: {{ r.labels[loop.index0] }}</title></circle>{% endfor %}
{% endfor %}
{% if hub %}<rect x="{{ hub[0]-6 }}" y="{{ hub[1]-6 }}" width="12" height="12" fill="#000">
<title>乡镇政务服务中心 / township centre</title></rect>{% endif %}
</svg>
<div class="legend">{% for r in routes %}<span style="background:{{ r.colour }}"></span>{{ r.agent
 }} ({{ r.km }} km){% endfor %}</div>
<h2>时间线 / Timeline per agent (07:00–19:00)</h2>
<div style="width:900px;display:flex;justify-content:space-between;font-size:11px">
{% for h in hours %}<span>{{ "%02d" % h }}</span>{% endfor %}</div>
{% for r in routes %}<div>{{ r.agent }}</div><div class="gantt">
{% for kind, left, width, label in r.bars %}<div class="bar {{ kind }}" title="{{ label }}"
 style="left:{{ left }}%;width:{{ width }}%;{% if kind == 'stop' %}background:{{ r.colour
 }}{% endif %}"></div>{% endfor %}</div>{% endfor %}
<p class="legend"><span style="background:#888"></span>{{ legend.stop }}
<span class="travel" style="background:#bbb"></span>{{ legend.travel }}
<span style="background:#ffd27f"></span>{{ legend["break"] }}</p>
<h2>未排入任务 / Unassigned tasks</h2>
<table><tr><th>任务 / Task</th><th>原因 / Reason</th></tr>
{% for u in unassigned %}<tr><td>{{ u.label }}</td><td>{{ u.reason_text or u.reason }}</td></tr>
{% else %}<tr><td colspan="2">无 / none</td></tr>{% endfor %}</table>
</body></html>
"""

"""Small bar charts drawn on the server as SVG: no chart library, no script, no CDN.

Readable without colour alone: each series has its own pattern (solid, stripes, dots) and is
named in a legend with its total; every bar has a tooltip (<title>); the numbers are also given as
a table under "The numbers" for screen readers and for copying.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 150, 36, 22, 8
# Fill and pattern per series, in order: solid, stripes, dots, cross-hatch.
STYLES = ("solid", "stripes", "dots", "hatch")
COLOURS = ("#0a6e8a", "#1e7b34", "#b42318", "#7a5200")


@dataclass(frozen=True)
class Series:
    name: str
    values: Sequence[float]


def bar_chart(
    *,
    chart_id: str,
    title: str,
    labels: Sequence[str],
    series: Sequence[Series],
    unit: str,
    limit: float | None = None,
    limit_label: str = "",
    label_every: int = 1,
    empty_text: str = "",
) -> SafeString:
    """Stacked bars, one per label, one layer per series (at most four)."""
    totals = [sum(s.values[i] for s in series) for i in range(len(labels))]
    top = max([*totals, limit or 0, 1])
    plot_w, plot_h = WIDTH - LEFT - 4, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(labels), 1)
    bars = []
    for i, label in enumerate(labels):
        y: float = HEIGHT - BOTTOM
        for index, s in enumerate(series):
            value = s.values[i]
            if not value:
                continue
            h = value / top * plot_h
            y -= h
            bars.append(
                {
                    "x": round(LEFT + i * step + step * 0.1, 2),
                    "y": round(y, 2),
                    "w": round(max(step * 0.8, 1), 2),
                    "h": round(h, 2),
                    "style": STYLES[index % len(STYLES)],
                    "tip": f"{label}: {value:g} {s.name.lower()}"
                    if len(series) > 1
                    else f"{label}: {value:g} {unit}",
                }
            )
    ticks = [
        {"x": round(LEFT + i * step + step / 2, 2), "text": label}
        for i, label in enumerate(labels)
        if i % label_every == 0
    ]
    context = {
        "chart_id": chart_id,
        "title": title,
        "unit": unit,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "baseline": HEIGHT - BOTTOM,
        "top_value": f"{top:g}",
        "top_y": TOP + 4,
        "bars": bars,
        "ticks": ticks,
        "limit_y": round(HEIGHT - BOTTOM - (limit / top * plot_h), 2) if limit else None,
        "limit_label": limit_label,
        "legend": [
            {"name": s.name, "total": f"{sum(s.values):g}", "style": STYLES[i % len(STYLES)]}
            for i, s in enumerate(series)
        ],
        "colours": list(zip(STYLES, COLOURS, strict=True)),
        "rows": [
            {"label": label, "values": [f"{s.values[i]:g}" for s in series]}
            for i, label in enumerate(labels)
            if totals[i]
        ],
        "series": series,
        "empty": not any(totals),
        "empty_text": empty_text,
        "summary": ", ".join(f"{s.name}: {sum(s.values):g}" for s in series),
    }
    return SafeString(render_to_string("components/_bar_chart.html", context))

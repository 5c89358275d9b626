"""The dashboard's charts, drawn as SVG on the server: no script, no CDN, each with a text label for screen
readers and its numbers in a table beside it, every label escaped by format_html."""

from collections.abc import Sequence
from typing import Any

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from crm.times import absolute

WIDTH, ROW, LABEL = 640, 22, 200


def weekly_bars(weeks: Sequence[dict[str, Any]], *, title: str) -> SafeString:
    """Complaints per week as columns, each with its count on hover."""
    if not weeks:
        return SafeString("")
    height, top, bottom, left = 200, 12, 24, 36
    highest = max(entry["complaints"] for entry in weeks) or 1
    slot = (WIDTH - left) / len(weeks)
    plot = height - top - bottom

    def column(index: int, entry: dict[str, Any]) -> tuple[str, ...]:
        bar = plot * entry["complaints"] / highest
        return (
            f"{left + index * slot + slot * 0.15:.1f}",
            f"{top + plot - bar:.1f}",
            f"{slot * 0.7:.1f}",
            f"{bar:.1f}",
            f"Week of {absolute(entry['week'])}: {entry['complaints']}",
        )

    columns = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}"><title>{}</title></rect>',
        (column(i, entry) for i, entry in enumerate(weeks)),
    )
    total = sum(entry["complaints"] for entry in weeks)
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
        '<text x="0" y="{top_y}" class="axis">{highest}</text><text x="0" y="{zero_y}" class="axis">0</text>'
        '<text x="{left}" y="{bottom_y}" class="axis">{first}</text>'
        '<text x="{w}" y="{bottom_y}" class="axis" text-anchor="end">{last}</text>{columns}</svg>',
        w=WIDTH,
        h=height,
        label=f"{title}: {total} over {len(weeks)} weeks, at most {highest} in a week.",
        top_y=top + 8,
        highest=highest,
        zero_y=top + plot,
        left=left,
        bottom_y=height - 6,
        first=f"{weeks[0]['week']:%d %b}",
        last=f"{weeks[-1]['week']:%d %b}",
        columns=columns,
    )


def horizontal_bars(rows: Sequence[tuple[str, float]], *, title: str) -> SafeString:
    """One bar per row, the label on the left and the value at the bar's end."""
    if not rows:
        return SafeString("")
    highest = max(value for _, value in rows) or 1
    span = WIDTH - LABEL - 48

    def bar(index: int, row: tuple[str, float]) -> tuple[Any, ...]:
        name, value = row
        y = index * ROW
        length = span * value / highest
        return (y + 15, name, LABEL, y + 4, f"{length:.1f}", LABEL + length + 6, y + 15, value)

    bars = format_html_join(
        "",
        '<text x="0" y="{}" class="axis">{}</text><rect x="{}" y="{}" width="{}" height="14"></rect>'
        '<text x="{}" y="{}" class="axis">{}</text>',
        (bar(i, row) for i, row in enumerate(rows)),
    )
    summary = "; ".join(f"{name} {value}" for name, value in rows)
    return format_html(
        '<svg class="chart" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
        "{bars}</svg>",
        w=WIDTH,
        h=len(rows) * ROW + 4,
        label=f"{title}: {summary}.",
        bars=bars,
    )

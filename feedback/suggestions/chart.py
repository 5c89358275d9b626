"""A complaint trend drawn as an SVG bar chart on the server: no script, no CDN, readable without colour
(the weeks after the change are hatched, and the figures are in a table beside it)."""

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from crm.times import absolute
from feedback.suggestions.selectors import Trend

WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 220, 16, 28, 32


def trend_svg(trend: Trend) -> SafeString:
    weeks = trend.weeks
    if not weeks:
        return SafeString("")
    highest = max((n for _, n in weeks), default=0) or 1
    slot = (WIDTH - LEFT) / len(weeks)
    bar = max(slot * 0.7, 1)
    plot = HEIGHT - TOP - BOTTOM

    def bar_of(index: int, week_count: tuple) -> tuple:
        week, n = week_count
        height = plot * n / highest
        x = LEFT + index * slot + (slot - bar) / 2
        after = week >= trend.pivot
        return (
            f"{x:.1f}",
            f"{TOP + plot - height:.1f}",
            f"{bar:.1f}",
            f"{height:.1f}",
            "after" if after else "before",
            f"Week of {absolute(week)}: {n} complaint{'s' if n != 1 else ''}",
        )

    bars = format_html_join(
        "",
        '<rect x="{}" y="{}" width="{}" height="{}" class="{}"><title>{}</title></rect>',
        (bar_of(i, w) for i, w in enumerate(weeks)),
    )
    pivot_index = next((i for i, (week, _) in enumerate(weeks) if week >= trend.pivot), len(weeks))
    pivot_x = LEFT + pivot_index * slot
    return format_html(
        '<svg class="trend" viewBox="0 0 {w} {h}" role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">'
        '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
        '<line x1="0" y1="0" x2="0" y2="6" stroke="#1d4f91" stroke-width="3"/></pattern></defs>'
        '<text x="0" y="{top_label}" class="axis">{highest}</text><text x="0" y="{zero_y}" class="axis">0</text>'
        "{bars}"
        '<line x1="{px}" y1="{top}" x2="{px}" y2="{zero_y}" class="pivot"/>'
        '<text x="{px}" y="{label_y}" class="axis">change live</text>'
        "</svg>",
        w=WIDTH,
        h=HEIGHT,
        label=_summary(trend),
        top_label=TOP + 8,
        highest=highest,
        zero_y=TOP + plot,
        bars=bars,
        px=f"{pivot_x:.1f}",
        top=TOP,
        label_y=HEIGHT - 8,
    )


def _summary(trend: Trend) -> str:
    after = "no whole week after yet" if trend.after_per_week is None else f"{trend.after_per_week} a week after"
    change = "" if trend.change_percent is None else f" ({trend.change_percent:+.1f} %)"
    return f"Complaints: {trend.before_per_week} a week before the change, {after}{change}."

"""Server-rendered SVG charts (pygal). Served as image/svg+xml files and shown with <img>, so they
need no JavaScript, keep the page's CSP intact, print, and can be reused in PDFs."""

from __future__ import annotations

import re
from datetime import date

import pygal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from pygal.style import Style

from catalogue.content.models import DailyFigure
from catalogue.content.services import DS4C_CHART_CREDIT
from catalogue.i18n import DEFAULT_LANGUAGE, current_language
from catalogue.i18n.formats import format_day

CHART_KINDS = {
    "new": _l("New confirmed cases per day"),
    "totals": _l("Cumulative confirmed, released and deaths"),
    "tests": _l("Cumulative people tested"),
}
# A chart's title: "Seoul: new confirmed cases per day".
_TITLES = {
    "new": _l("%(region)s: new confirmed cases per day"),
    "totals": _l("%(region)s: cumulative confirmed, released and deaths"),
    "tests": _l("%(region)s: cumulative people tested"),
}

# Even with js=[] pygal writes an inline config <script>; no chart needs it, so it is cut out.
_SCRIPT_RE = re.compile(rb"<script[^>]*>.*?</script>", re.DOTALL)

_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#212529",
    foreground_strong="#212529",
    foreground_subtle="#6c757d",
    colors=("#0b5394", "#38761d", "#990000", "#b45f06", "#674ea7", "#45818e"),
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif",
    label_font_size=11,
    major_label_font_size=11,
    legend_font_size=12,
    title_font_size=15,
)


def _config(**extra) -> dict:
    # js=[]: pygal would otherwise link a tooltip script from a third-party host.
    return {
        "js": [],
        "style": _STYLE,
        "show_minor_x_labels": False,
        "x_label_rotation": 0,
        "truncate_label": -1,
        "legend_at_bottom": True,
        "print_values": False,
        "show_dots": True,
        "dots_size": 1.5,
        "width": 900,
        "height": 420,
        **extra,
    }


def _render(chart) -> bytes:
    return _SCRIPT_RE.sub(b"", chart.render())


def _day(day: date) -> str:
    """A day on an axis: ISO in English (as the tables), the locale's short form elsewhere
    ("2 mars 2020", "2020. 3. 2.")."""
    return day.isoformat() if current_language() == DEFAULT_LANGUAGE else format_day(day, "medium")


def _labels(days: list[date]) -> tuple[list[str], list[str]]:
    labels = [_day(d) for d in days]
    step = max(1, len(days) // 8)
    return labels, labels[::step]


def figures_chart(kind: str, region: str, figures: list[DailyFigure]) -> bytes:
    days = [f.day for f in figures]
    labels, major = _labels(days)
    title = _TITLES[kind] % {"region": _region(region)}
    credit = {"x_title": _(DS4C_CHART_CREDIT)}
    if kind == "new":
        chart = pygal.Bar(**_config(title=title, show_legend=False, **credit))
        chart.add(_("New confirmed"), [f.new_confirmed for f in figures])
    elif kind == "totals":
        chart = pygal.Line(**_config(title=title, **credit))
        chart.add(_("Cumulative confirmed"), [f.cumulative_confirmed for f in figures])
        chart.add(_("Released"), [f.released for f in figures])
        chart.add(_("Deaths"), [f.deaths for f in figures])
    else:
        chart = pygal.Line(**_config(title=title, show_legend=False, **credit))
        chart.add(_("People tested"), [f.tests for f in figures])
    chart.x_labels = labels
    chart.x_labels_major = major
    return _render(chart)


def trend_chart(region: str, figures: list[DailyFigure]) -> bytes:
    """A small chart of new cases for the home page."""
    chart = pygal.Bar(
        **_config(
            title=ngettext(
                "%(region)s: new cases, last %(num)d day",
                "%(region)s: new cases, last %(num)d days",
                len(figures),
                region=_region(region),
            ),
            show_legend=False,
            width=480,
            height=220,
            show_x_labels=False,
            title_font_size=13,
            x_title=_(DS4C_CHART_CREDIT),
        )
    )
    chart.add(_("New confirmed"), [f.new_confirmed for f in figures])
    chart.x_labels = [_day(f.day) for f in figures]
    return _render(chart)


# The regions as chart titles name them ("Korea: …", not "Korea (national): …").
_PLACES = {"Seoul": _l("Seoul"), "Korea": _l("Korea")}


def _region(region: str) -> str:
    return str(_PLACES.get(region, region))


def views_chart(days: list[date], series: dict[str, list[int]], labels: dict[str, str]) -> bytes:
    chart = pygal.Line(**_config(title=_("Page views per section, last 30 days"), height=380))
    for section, values in series.items():
        chart.add(labels.get(section, section), values)
    chart.x_labels, chart.x_labels_major = _labels(days)
    return _render(chart)

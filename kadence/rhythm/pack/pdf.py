"""The 1x1 pack as a PDF (A4), with reportlab: pure Python, and Chinese without a font file — the
Adobe CID font STSong-Light is named in the PDF, not embedded, and every PDF reader brings it (Acrobat,
Preview, pdf.js, Chrome, Foxit, WPS). The page's print stylesheet is the other way to paper."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from io import BytesIO
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from django.utils import formats
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from kadence.core.templatetags.kadence import money

if TYPE_CHECKING:
    from kadence.rhythm.pack.selectors import Pack

FONT = "STSong-Light"
_registered = False


def _font() -> str:
    global _registered
    if not _registered:
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
        _registered = True
    return FONT


def text(value: Any) -> str:
    """A value as the PDF shows it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, datetime):
        return formats.date_format(value, "Y-m-d H:i")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def generic_tables(context: dict[str, Any]) -> list[tuple[str, list[list[str]]]]:
    """A section without its own PDF layout: its plain values as one table, each list of rows as one."""
    plain = [[key, text(value)] for key, value in context.items() if not isinstance(value, (list, dict))]
    tables: list[tuple[str, list[list[str]]]] = [("", plain)] if plain else []
    for key, value in context.items():
        if isinstance(value, dict):
            tables.extend(
                (f"{key} · {caption}" if caption else key, rows) for caption, rows in generic_tables(value)
            )
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            columns = [k for k, v in value[0].items() if not isinstance(v, (list, dict))]
            tables.append((key, [columns, *[[text(row.get(c)) for c in columns] for row in value]]))
    return tables


def pack_pdf(pack: Pack) -> bytes:
    font = _font()
    title = ParagraphStyle("title", fontName=font, fontSize=16, leading=20, spaceAfter=4)
    heading = ParagraphStyle("heading", fontName=font, fontSize=12, leading=16, spaceBefore=8, spaceAfter=4)
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=12)
    small = ParagraphStyle("small", fontName=font, fontSize=8, leading=10, textColor=colors.grey)
    story: list[Any] = [
        Paragraph(escape(_("Weekly 1x1 review") + f" · {pack.rep.label}"), title),
        Paragraph(f"{pack.week_start.isoformat()} – {pack.week_end.isoformat()}", small),
    ]

    def table(rows: list[list[str]], header: bool = True) -> Table:
        cells = [[Paragraph(escape(c), body) for c in row] for row in rows]
        t = Table(cells, repeatRows=1 if header else 0, hAlign="LEFT")
        style = TableStyle(
            [("GRID", (0, 0), (-1, -1), 0.25, colors.lightgrey), ("VALIGN", (0, 0), (-1, -1), "TOP")]
        )
        if header:
            style.add("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke)
        t.setStyle(style)
        return t

    for view in pack.sections:
        story.append(Paragraph(escape(view.title), heading))
        if view.error:
            story.append(Paragraph(escape(view.error), small))
            continue
        maker = view.section.pdf or generic_tables
        for caption, rows in maker(view.context):
            if caption:
                story.append(Paragraph(escape(caption), body))
            if rows:
                story.append(table(rows, header=bool(view.section.pdf) or len(rows[0]) != 2))
            story.append(Spacer(1, 2 * mm))
    story.append(Paragraph(escape(_("Manager's notes")), heading))
    story.append(
        Paragraph(
            escape(pack.note.text if pack.note and pack.note.text else "—").replace("\n", "<br/>"), body
        )
    )
    story.append(Paragraph(escape(_("Agreed actions")), heading))
    rows = [[_("Action"), _("Owner"), _("Due"), _("Agreed"), _("Done")]]
    for row in pack.actions:
        action = row.action
        rows.append(
            [
                action.text,
                action.owner.label,
                text(action.due_on),
                text(action.week_start),
                text(action.done_at) if action.done_at else "",
            ]
        )
    story.append(table(rows) if len(rows) > 1 else Paragraph("—", body))
    buffer = BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=15 * mm,
        title=f"1x1 {pack.rep.label} {pack.week_start.isoformat()}",
    ).build(story)
    return buffer.getvalue()

"""The printable attendee list: the door's last resort when no phone works. A pure
function of plain data (`AttendeeList`), like the ticket renderer: one line per ticket,
sorted by name, with a box to tick, on as many A4 pages as it takes, the header repeated
on each. DejaVu Sans (when copied in by `make vendor`) shows any name; otherwise
Helvetica, with what it cannot show replaced."""

from __future__ import annotations

import io
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from web.rendering.document import RenderedFile
from web.rendering.ticket_pdf import BOLD, REGULAR, _wide


@dataclass(frozen=True)
class AttendeeLine:
    name: str
    ticket_type: str
    buyer: str
    ticket_id: str
    checked_in_at: datetime | None  # local time, when already admitted


@dataclass(frozen=True)
class AttendeeList:
    event_title: str
    starts_local: datetime
    venue: str
    printed_local: datetime
    lines: tuple[AttendeeLine, ...]


def sort_key(name: str) -> tuple[str, str]:
    """Names in alphabetical order whatever their accents or case ("Émile" by "Emma")."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain.casefold(), name


def attendee_list_pdf(document: AttendeeList, filename: str) -> RenderedFile:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    regular = _wide(REGULAR) or REGULAR
    bold = _wide(BOLD) or BOLD

    def shown(text: str) -> str:
        if regular != REGULAR:
            return text
        return text.encode("cp1252", "replace").decode("cp1252")

    def cell(text: str, font: str = regular) -> Paragraph:
        escaped = shown(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return Paragraph(escaped, ParagraphStyle("cell", fontName=font, fontSize=9, leading=11))

    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=12 * mm,
        rightMargin=12 * mm,
        topMargin=12 * mm,
        bottomMargin=12 * mm,
        title=shown(f"Attendees: {document.event_title}"),
        author="Admit",
        invariant=1,  # the same bytes for the same list: no creation date or random id
    )
    title = ParagraphStyle("title", fontName=bold, fontSize=14, leading=18)
    note = ParagraphStyle("note", fontName=regular, fontSize=9, leading=12)
    when = document.starts_local.strftime("%A %d %B %Y, %H:%M")
    printed = document.printed_local.strftime("%d %B %Y %H:%M")
    count = len(document.lines)
    story: list[object] = [
        Paragraph(shown(document.event_title).replace("&", "&amp;").replace("<", "&lt;"), title),
        Paragraph(
            shown(f"{when} · {document.venue} · {count} ticket{'' if count == 1 else 's'}")
            .replace("&", "&amp;")
            .replace("<", "&lt;"),
            note,
        ),
        Paragraph(f"Printed {printed}: later sales and check-ins are not on it.", note),
        Spacer(1, 4 * mm),
    ]
    rows: list[list[object]] = [
        [cell(h, bold) for h in ("", "Name", "Ticket type", "Bought by", "Ticket")]
    ]
    for line in document.lines:
        mark = "✓ " + line.checked_in_at.strftime("%H:%M") if line.checked_in_at else "☐"
        if regular == REGULAR:
            mark = "in " + line.checked_in_at.strftime("%H:%M") if line.checked_in_at else "[ ]"
        rows.append(
            [
                cell(mark),
                cell(line.name),
                cell(line.ticket_type),
                cell(line.buyer),
                cell(line.ticket_id[:8]),
            ]
        )
    table = Table(rows, colWidths=[16 * mm, 62 * mm, 35 * mm, 53 * mm, 20 * mm], repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    story.append(table)
    pdf.build(story)  # type: ignore[arg-type]
    return RenderedFile(filename, "application/pdf", buffer.getvalue())

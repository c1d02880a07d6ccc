"""A ticket as a one-page PDF: A6 portrait, for printing or showing on a phone.

`render_ticket_pdf` is a pure function of a `TicketDocument`. What goes where is data
(`TICKET_LAYOUT`, below): a column of text blocks and the QR code flowing down from the top
margin, and a footer stacked up from the bottom margin. The renderer only walks it.

Fonts are the PDF standard Helvetica and Courier, which viewers supply, so nothing is
embedded and a ticket stays a few kilobytes. They only have glyphs for the WinAnsi
character set (Latin-1 plus a few such as the euro sign, dashes, curly quotes and the
ellipsis). A text block with any other character (a Greek, Cyrillic, Hebrew or Armenian
name...) is set in DejaVu Sans instead, embedded as a subset of the glyphs used (about
20 KB more, for those tickets only); characters DejaVu lacks too (Chinese, emoji...)
print as "?" (see `printable`). The DejaVu files come from npm (`make vendor` copies them
into `web/rendering/fonts/`); without them every ticket uses the standard fonts. The QR
code, which carries the ticket's identity, is never affected.
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Literal, Protocol
from zoneinfo import ZoneInfo

from reportlab import rl_config
from reportlab.lib.pagesizes import A6
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import getFont, stringWidth
from reportlab.pdfgen.canvas import Canvas

from web.rendering.document import RenderedFile, TicketDocument
from web.rendering.pdf_file import STANDARD_FONTS, number, one_page_pdf, text_literal
from web.rendering.qr import QrSymbol, qr_symbol

# Compressed streams stay binary instead of being ASCII85-encoded as well: a quarter
# smaller and faster. (A reportlab-wide setting; every PDF reader handles binary streams.)
rl_config.useA85 = 0

FINE_PRINT = (
    "Show this code at the entrance. It admits one person once. Screenshots work; keep it private."
)
ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"
EN_DASH = "\N{EN DASH}"

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
MONO = "Courier"

INK = 0.0  # grey levels: 0 is black
MUTED = 0.35


# --- The layout, as data -------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """A block of text, wrapped to the column width.

    `source` names one of `SOURCES`: which text of the ticket to print. Past `max_lines`
    the text is cut and ends with an ellipsis. An empty text takes no room at all.
    """

    source: str
    font: str = REGULAR
    size: float = 9
    leading: float = 11
    max_lines: int = 1
    align: Literal["left", "center"] = "left"
    gray: float = INK
    space_before: float = 0

    def max_height(self) -> float:
        return self.space_before + self.max_lines * self.leading


@dataclass(frozen=True)
class Qr:
    """The ticket's QR code, centred, `size` wide and high including its quiet zone."""

    size: float
    space_before: float = 0

    def max_height(self) -> float:
        return self.space_before + self.size


Item = Text | Qr


@dataclass(frozen=True)
class Layout:
    page_size: tuple[float, float]
    margin: float
    top: tuple[Item, ...]  # flows down from the top margin
    bottom: tuple[Item, ...]  # stacked up from the bottom margin (last item lowest)

    def max_content_height(self) -> float:
        """Height of the content with every text at its most lines (must fit the page)."""
        return sum(item.max_height() for item in self.top + self.bottom)


TICKET_LAYOUT = Layout(
    page_size=A6,  # 105 x 148 mm
    margin=5 * mm,
    top=(
        Text("organizer", size=7.5, leading=9, gray=MUTED),
        Text("title", font=BOLD, size=14, leading=16.5, max_lines=3, space_before=3),
        Text("when", max_lines=2, space_before=4),
        Text("venue", max_lines=2),
        # 72 mm with the quiet zone: the symbol itself is over 60 mm wide for a
        # version 7 code (45 of 53 modules).
        Qr(size=72 * mm),
        Text("attendee", font=BOLD, size=12, leading=14, max_lines=2, align="center"),
        Text("seat_and_price", align="center", space_before=2),
    ),
    bottom=(
        Text("fine_print", size=7, leading=8.5, max_lines=2, gray=MUTED),
        Text("ticket_id", font=MONO, size=6.5, leading=8, gray=MUTED, space_before=3),
    ),
)


# --- What each text source prints ----------------------------------------------------

_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS = (
    *("January", "February", "March", "April", "May", "June"),
    *("July", "August", "September", "October", "November", "December"),
)


def _day(moment: datetime) -> str:
    # Spelled out here rather than with strftime("%A %B"), which follows the process locale.
    return f"{_DAYS[moment.weekday()]} {moment.day} {_MONTHS[moment.month - 1]} {moment.year}"


def when_label(ticket: TicketDocument) -> str:
    """E.g. "Saturday 28 November 2026, 19:30-22:00 (Europe/Lisbon)", with an en dash."""
    zone = ZoneInfo(ticket.timezone)
    start = ticket.starts_local.astimezone(zone)
    end = ticket.ends_local.astimezone(zone)
    if start.date() == end.date():
        span = f"{_day(start)}, {start:%H:%M}{EN_DASH}{end:%H:%M}"
    else:
        span = f"{_day(start)}, {start:%H:%M} {EN_DASH} {_day(end)}, {end:%H:%M}"
    return f"{span} ({ticket.timezone})"


SOURCES: dict[str, Callable[[TicketDocument], str]] = {
    "organizer": lambda t: t.organizer_name,
    "title": lambda t: t.event_title,
    "when": when_label,
    "venue": lambda t: t.venue,
    "attendee": lambda t: t.attendee_name,
    "seat_and_price": lambda t: " · ".join(s for s in (t.seat_label, t.price_label) if s),
    "fine_print": lambda t: FINE_PRINT,
    "ticket_id": lambda t: f"Ticket {t.ticket_id}",
}


# --- Text helpers --------------------------------------------------------------------


def printable(text: str, font: str = REGULAR) -> str:
    """`text` with every character `font` cannot show replaced by "?"."""
    text = unicodedata.normalize("NFC", text)  # "e" + combining diaeresis -> "ë"
    has = _glyphs(font)
    if has is None:
        try:
            text.encode("cp1252")  # WinAnsiEncoding, the standard fonts' encoding
        except UnicodeEncodeError:
            return "".join(_printable_char(ch, has) for ch in text)
        if text.isprintable():
            return text
    return "".join(_printable_char(ch, has) for ch in text)


def _printable_char(ch: str, has: frozenset[int] | None) -> str:
    if ch.isspace():
        return " "
    if unicodedata.category(ch) == "Cf":  # soft hyphen, zero-width joiner...
        return ""
    if has is not None:
        return ch if ch.isprintable() and ord(ch) in has else "?"
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return "?"
    return ch if ch.isprintable() else "?"


# --- DejaVu Sans, for text the standard fonts cannot show ------------------------------

FONTS_DIR = Path(__file__).resolve().parent / "fonts"
WIDE_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_wide_names: dict[str, str | None] = {}
_wide_glyphs: dict[str, frozenset[int]] = {}


def _wide(font: str) -> str | None:
    """The embedded font standing in for standard `font`, registered on first use; None
    when there is none (Courier, or the files were not copied in)."""
    if font not in _wide_names:
        _wide_names[font] = None
        path = FONTS_DIR / WIDE_FILES[font] if font in WIDE_FILES else None
        if path is not None and path.is_file():
            from reportlab.pdfbase.pdfmetrics import registerFont
            from reportlab.pdfbase.ttfonts import TTFont

            name = f"Admit-{path.stem}"
            face = TTFont(name, str(path))
            registerFont(face)
            _wide_glyphs[name] = frozenset(face.face.charToGlyph)
            _wide_names[font] = name
    return _wide_names[font]


def _glyphs(font: str) -> frozenset[int] | None:
    """The code points an embedded font has; None for a standard font (WinAnsi)."""
    return _wide_glyphs.get(font)


def text_width(text: str, font: str, size: float) -> float:
    """Width in points, as reportlab's `stringWidth` gives it (a table lookup a character
    for the standard fonts instead of its pure-Python encoding machinery)."""
    widths = _standard_widths(font)
    if widths is None:
        return stringWidth(text, font, size)
    return sum(map(widths.__getitem__, text.encode("cp1252"))) * 0.001 * size


@functools.cache
def _standard_widths(font: str) -> tuple[int, ...] | None:
    """A standard font's advance widths (1/1000 em) by WinAnsi byte; None for others."""
    return tuple(getFont(font).widths) if font in STANDARD_FONTS else None


def wrap(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Greedy word wrap to `width` points; past `max_lines`, cut and end with "…"."""
    space = text_width(" ", font, size)
    lines: list[str] = []
    line, line_width = "", 0.0
    for word in printable(text, font).split():
        word_width = text_width(word, font, size)
        if line and line_width + space + word_width <= width:
            line, line_width = f"{line} {word}", line_width + space + word_width
            continue
        if line:
            lines.append(line)
        while word_width > width:  # a word wider than the column: break it anywhere
            cut = _longest_prefix(word, font, size, width)
            lines.append(word[:cut])
            word = word[cut:]
            word_width = text_width(word, font, size)
        line, line_width = word, word_width
        if len(lines) > max_lines:
            break
    if line:
        lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = _with_ellipsis(lines[-1], font, size, width)
    return lines


def _longest_prefix(word: str, font: str, size: float, width: float) -> int:
    cut = len(word) - 1
    while cut > 1 and text_width(word[:cut], font, size) > width:
        cut -= 1
    return cut


def _with_ellipsis(line: str, font: str, size: float, width: float) -> str:
    while line and text_width(line + ELLIPSIS, font, size) > width:
        head, space, _ = line.rpartition(" ")
        line = head if space and head else line[:-1]  # drop a whole word if there are two
    return line.rstrip(" ,;:.-" + EN_DASH) + ELLIPSIS


# --- The renderer --------------------------------------------------------------------


class _Page(Protocol):
    """Where blocks draw: operators for `one_page_pdf`, or a reportlab canvas."""

    def text(self, font: str, size: float, gray: float, lines: list[_Line]) -> None: ...

    def literal(self, operators: str) -> None: ...


_Line = tuple[float, float, str]  # x, baseline, text


class _Operators:
    """The page's content stream, when every font is a standard one."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.fonts: dict[str, str] = {}  # standard font -> resource name

    def text(self, font: str, size: float, gray: float, lines: list[_Line]) -> None:
        name = self.fonts.setdefault(font, f"F{len(self.fonts) + 1}")
        self.parts.append(f"{number(gray)} g BT /{name} {number(size)} Tf")
        self.parts += [
            f"1 0 0 1 {number(x)} {number(y)} Tm {text_literal(line)} Tj" for x, y, line in lines
        ]
        self.parts.append("ET")

    def literal(self, operators: str) -> None:
        self.parts.append(operators)


class _CanvasPage:
    """A reportlab canvas, which embeds the subset of DejaVu a ticket uses."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas

    def text(self, font: str, size: float, gray: float, lines: list[_Line]) -> None:
        self.canvas.setFont(font, size)
        self.canvas.setFillGray(gray)
        for x, y, line in lines:
            self.canvas.drawString(x, y, line)

    def literal(self, operators: str) -> None:
        self.canvas.addLiteral(operators)


@dataclass(frozen=True)
class _TextBlock:
    """A `Text` item wrapped for one ticket."""

    item: Text
    lines: list[str]

    @property
    def height(self) -> float:
        return self.item.space_before + len(self.lines) * self.item.leading if self.lines else 0

    def draw(self, page: _Page, top: float, left: float, width: float) -> None:
        item = self.item
        # Baseline: the cap height (0.72 em in Helvetica) centred in the line's leading.
        baseline = top - item.space_before - (item.leading + 0.72 * item.size) / 2
        placed: list[_Line] = []
        for line in self.lines:
            x = left
            if item.align == "center":
                x += (width - text_width(line, item.font, item.size)) / 2
            placed.append((x, baseline, line))
            baseline -= item.leading
        if placed:
            page.text(item.font, item.size, item.gray, placed)


@dataclass(frozen=True)
class _QrBlock:
    """A `Qr` item with one ticket's symbol."""

    item: Qr
    symbol: QrSymbol

    @property
    def height(self) -> float:
        return self.item.space_before + self.item.size

    def draw(self, page: _Page, top: float, left: float, width: float) -> None:
        """Dark modules as vector rectangles, one per horizontal run, filled as one path.

        In module units, rows going down like the symbol's: whole numbers ("x y w h re")
        keep the stream small and quick to write."""
        size = self.item.size
        module = number(size / self.symbol.size, 6)  # x 53 modules: stays within 1/1000 pt
        origin = f"{number(left + (width - size) / 2)} {number(top - self.item.space_before)}"
        rects = "\n".join([f"{x} {y} {n} 1 re" for y, x, n in self.symbol.dark_runs()])
        page.literal(f"q {module} 0 0 -{module} {origin} cm 0 g\n{rects}\nf Q")


_Block = _TextBlock | _QrBlock


def _block(item: Item, ticket: TicketDocument, width: float) -> _Block:
    if isinstance(item, Qr):
        return _QrBlock(item, qr_symbol(ticket.code))
    text = SOURCES[item.source](ticket)
    if printable(text) != unicodedata.normalize("NFC", text) and (wide := _wide(item.font)):
        item = replace(item, font=wide)
    return _TextBlock(item, wrap(text, item.font, item.size, width, item.max_lines))


def render_ticket_pdf(ticket: TicketDocument, layout: Layout = TICKET_LAYOUT) -> RenderedFile:
    """The ticket as a one-page PDF; the same ticket always gives the same bytes."""
    page_width, page_height = layout.page_size
    left = layout.margin
    width = page_width - 2 * layout.margin
    top = [_block(item, ticket, width) for item in layout.top]
    bottom = [_block(item, ticket, width) for item in layout.bottom]

    def draw(page: _Page) -> None:
        cursor = page_height - layout.margin
        for block in top:
            block.draw(page, cursor, left, width)
            cursor -= block.height
        cursor = layout.margin + sum(block.height for block in bottom)
        for block in bottom:
            block.draw(page, cursor, left, width)
            cursor -= block.height

    title = f"Ticket: {ticket.event_title}"
    fonts = {block.item.font for block in top + bottom if isinstance(block, _TextBlock)}
    if fonts <= STANDARD_FONTS:
        operators = _Operators()
        draw(operators)
        info = {"Title": title, "Author": ticket.organizer_name, "Creator": "Admit"}
        resources = {name: font for font, name in operators.fonts.items()}
        data = one_page_pdf(layout.page_size, "\n".join(operators.parts), resources, info)
    else:
        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=layout.page_size, invariant=1, pageCompression=1)
        canvas.setTitle(title)
        canvas.setAuthor(ticket.organizer_name)
        canvas.setCreator("Admit")
        draw(_CanvasPage(canvas))
        canvas.showPage()
        canvas.save()
        data = buffer.getvalue()
    return RenderedFile(
        filename=f"ticket-{ticket.ticket_id}.pdf", content_type="application/pdf", data=data
    )

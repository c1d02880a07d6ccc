"""Ticket rendering, checked the way a door scanner and a reader see it.

The PDF is rasterised by poppler (`pdftoppm`) and its QR code read back by zxing-cpp; its
text is extracted with `pdftotext`. The SVG's path is painted into an image and decoded.
"""

from __future__ import annotations

import base64
import hashlib
import random
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import qrcode
import zxingcpp
from PIL import Image, ImageDraw
from qrcode import util as qrcode_util
from qrcode.constants import ERROR_CORRECT_M
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth

from web.rendering.document import TicketDocument
from web.rendering.qr import (
    QUIET_ZONE,
    dark_runs,
    mask_penalty,
    qr_matrix,
    qr_svg,
    qr_symbol,
)
from web.rendering.ticket_pdf import (
    ELLIPSIS,
    EN_DASH,
    FINE_PRINT,
    TICKET_LAYOUT,
    Qr,
    printable,
    render_ticket_pdf,
    text_width,
    when_label,
    wrap,
)

LISBON = ZoneInfo("Europe/Lisbon")


def realistic_code(seed: bytes = b"admit") -> str:
    """170 characters shaped like our ticket codes: uppercase base32 and dashes."""
    digest = hashlib.sha512(seed).digest() + hashlib.sha512(seed + b"2").digest()
    return ("AD1-1A2B3C4D-" + base64.b32encode(digest).decode())[:170]


CODE = realistic_code()

TICKET = TicketDocument(
    ticket_id="3f1c2a9e-4b7d-4c11-9a7e-0d2b5c8e1f23",
    code=CODE,
    event_title="Fado at Midnight",
    venue="Clube de Fado, Rua de São João da Praça 94, 1100-521 Lisboa",
    starts_local=datetime(2026, 11, 28, 19, 30, tzinfo=LISBON),
    ends_local=datetime(2026, 11, 28, 22, 0, tzinfo=LISBON),
    timezone="Europe/Lisbon",
    attendee_name="Zoë Ñúñez",
    seat_label="Ticket 2 of 3",
    price_label="€25.00",
    organizer_name="Casa do Fado",
)


# --- helpers -------------------------------------------------------------------------


def write_pdf(ticket: TicketDocument, directory: Path) -> Path:
    rendered = render_ticket_pdf(ticket)
    path = directory / rendered.filename
    path.write_bytes(rendered.data)
    return path


def run(*command: str | Path) -> str:
    return subprocess.run(
        [str(part) for part in command], check=True, capture_output=True, text=True
    ).stdout


def pdf_text(path: Path) -> str:
    return run("/usr/bin/pdftotext", "-enc", "UTF-8", path, "-")


def rasterise_pdf(path: Path) -> list[Path]:
    prefix = path.with_suffix("")
    run("/usr/bin/pdftoppm", "-r", "150", "-png", path, prefix)
    return sorted(path.parent.glob(f"{prefix.name}*.png"))


def decode(image: Image.Image) -> list[zxingcpp.Barcode]:
    return zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)


def paint(runs: list[tuple[int, int, int]], size: int, scale: int = 8) -> Image.Image:
    """Dark runs (row, column, length) painted black on white, `scale` pixels a module."""
    image = Image.new("L", (size * scale, size * scale), 255)
    draw = ImageDraw.Draw(image)
    for y, x, n in runs:
        draw.rectangle(((x * scale, y * scale), ((x + n) * scale - 1, (y + 1) * scale - 1)), 0)
    return image


def svg_runs(svg: str) -> tuple[int, list[tuple[int, int, int]]]:
    """The module count and the dark runs that an SVG from `qr_svg` draws."""
    root = ET.fromstring(svg)
    size = int(root.attrib["viewBox"].split()[2])
    path = root.find("{http://www.w3.org/2000/svg}path")
    assert path is not None
    commands = re.findall(r"M(\d+) (\d+)h(\d+)v1h-(\d+)z", path.attrib["d"])
    assert "".join(f"M{x} {y}h{n}v1h-{m}z" for x, y, n, m in commands) == path.attrib["d"]
    assert all(n == m for _, _, n, m in commands)
    return size, [(int(y), int(x), int(n)) for x, y, n, _ in commands]


# --- the QR code ---------------------------------------------------------------------


def test_code_of_alphanumeric_characters_is_a_small_symbol_with_a_quiet_zone():
    matrix = qr_matrix(CODE)
    # Version 7 (45 modules) + 2 x 4 quiet zone: alphanumeric mode. Byte mode would
    # need version 10 (57 modules).
    assert len(matrix) == 45 + 2 * QUIET_ZONE
    assert all(len(row) == len(matrix) for row in matrix)
    border = matrix[:QUIET_ZONE] + matrix[-QUIET_ZONE:]
    border += [row[:QUIET_ZONE] + row[-QUIET_ZONE:] for row in matrix]
    assert not any(any(row) for row in border)


def test_qr_matrix_decodes_to_the_code():
    matrix = qr_matrix(CODE)
    (barcode,) = decode(paint(dark_runs(matrix), len(matrix)))
    assert barcode.text == CODE
    assert barcode.ec_level == "M"


def test_code_with_other_characters_still_round_trips():
    code = "https://tickets.example/t/Zoë?x=1"
    matrix = qr_matrix(code)
    (barcode,) = decode(paint(dark_runs(matrix), len(matrix)))
    assert barcode.text == code


# Versions 1, 7 (ours), 9, 15 and 21: different alignment patterns, with and without
# version information.
CODES_OF_SEVERAL_VERSIONS = [
    "A",
    "hello",
    CODE,
    realistic_code(b"other"),
    "https://tickets.example/t/" + "x" * 150,
    "ABC " * 150,
    "z" * 700,
]


def reference_qr(code: str) -> qrcode.QRCode:
    """qrcode's own symbol, from the same segments (a code of QR-alphanumeric characters
    only is one alphanumeric segment, even when qrcode would split off digits)."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    if code and set(code) <= set(qrcode_util.ALPHA_NUM.decode()):
        qr.add_data(qrcode_util.QRData(code.encode(), mode=qrcode_util.MODE_ALPHA_NUM))
    else:
        qr.add_data(code)
    qr.make(fit=True)
    return qr


def random_codes(count: int, seed: int) -> list[str]:
    """Ticket-shaped codes, alphanumeric text, and mixed text (digits, lowercase, UTF-8)
    that qrcode splits into several segments, from 1 to 600 characters."""
    rng = random.Random(seed)
    codes: list[str] = []
    for number in range(count):
        kind = number % 3
        if kind == 0:
            code = f"AD1-{rng.getrandbits(32):08X}-" + base64.b32encode(rng.randbytes(100)).decode()
            codes.append(code[:170])
        elif kind == 1:
            codes.append(base64.b32encode(rng.randbytes(rng.randint(1, 360))).decode())
        else:
            alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:abcé€"
            codes.append("".join(rng.choices(alphabet, k=rng.randint(1, 400))))
    return codes


@pytest.mark.parametrize("code", [*CODES_OF_SEVERAL_VERSIONS, "12345678901234567890123"])
def test_symbol_is_the_one_qrcode_would_make(code: str):
    assert qr_matrix(code) == reference_qr(code).get_matrix()


def test_symbols_of_many_random_codes_are_qrcodes_own():
    """Same version, error correction codewords and mask as qrcode, module for module,
    over 300 codes of versions 1 to 17 (the encoder and mask scoring are our own)."""
    versions = set()
    for code in random_codes(300, seed=12):
        reference = reference_qr(code)
        symbol = qr_symbol(code)
        assert (symbol.version, symbol.matrix()) == (reference.version, reference.get_matrix())
        versions.add(symbol.version)
    assert len(versions) > 10


def test_many_random_codes_decode_from_the_matrix_image():
    """zxing-cpp reads back every one of 300 random codes (failed before only if wrong)."""
    for code in random_codes(300, seed=18004):
        symbol = qr_symbol(code)
        (barcode,) = decode(paint(symbol.dark_runs(), symbol.size, scale=4))
        assert barcode.text == code
        assert barcode.ec_level == "M"


def test_symbol_runs_and_matrix_agree():
    for code in random_codes(30, seed=3):
        symbol = qr_symbol(code)
        assert symbol.dark_runs() == dark_runs(symbol.matrix())
        assert len(symbol.matrix()) == symbol.size == len(symbol.rows)


@pytest.mark.parametrize("code", CODES_OF_SEVERAL_VERSIONS)
def test_mask_penalty_scores_as_qrcode_does(code: str):
    qr = reference_qr(code)
    for mask in range(8):
        qr.makeImpl(True, mask)
        assert mask_penalty(qr.modules) == qrcode_util.lost_point(qr.modules)


def test_svg_is_inline_markup_without_styles_or_scripts():
    svg = qr_svg(CODE)
    assert svg.startswith("<svg ")
    assert "<?xml" not in svg
    assert "style=" not in svg
    assert "<script" not in svg.lower()
    root = ET.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    size = len(qr_matrix(CODE))
    assert root.attrib["viewBox"] == f"0 0 {size} {size}"
    assert root.attrib["shape-rendering"] == "crispEdges"
    assert root.attrib["role"] == "img"
    assert root.attrib["aria-label"] == "Ticket QR code"
    assert "width" not in root.attrib
    assert "height" not in root.attrib
    assert len(root.findall("{http://www.w3.org/2000/svg}path")) == 1
    assert len(svg) < 10_000


def test_svg_draws_the_matrix_and_decodes_to_the_code():
    size, runs = svg_runs(qr_svg(CODE))
    matrix = qr_matrix(CODE)
    assert size == len(matrix)
    assert runs == dark_runs(matrix)
    (barcode,) = decode(paint(runs, size))
    assert barcode.text == CODE


def test_svg_label_is_escaped():
    root = ET.fromstring(qr_svg(CODE, label='Ticket "A" <1>'))
    assert root.attrib["aria-label"] == 'Ticket "A" <1>'


# --- the PDF -------------------------------------------------------------------------


def test_pdf_qr_code_scans_to_the_code(tmp_path: Path):
    (page,) = rasterise_pdf(write_pdf(TICKET, tmp_path))
    with Image.open(page) as image:
        (barcode,) = decode(image)
    assert barcode.text == CODE


def test_pdf_is_one_a6_page_named_after_the_ticket(tmp_path: Path):
    rendered = render_ticket_pdf(TICKET)
    assert rendered.filename == f"ticket-{TICKET.ticket_id}.pdf"
    assert rendered.content_type == "application/pdf"
    assert rendered.data.startswith(b"%PDF-")
    info = run("/usr/bin/pdfinfo", write_pdf(TICKET, tmp_path))
    assert re.search(r"^Pages:\s+1$", info, re.MULTILINE)
    assert re.search(r"^Page size:\s+297\.6\d* x 419\.5\d* pts", info, re.MULTILINE)  # 105 x 148 mm


def test_pdf_prints_the_ticket_details(tmp_path: Path):
    text = pdf_text(write_pdf(TICKET, tmp_path))
    for expected in (
        "Fado at Midnight",
        f"Saturday 28 November 2026, 19:30{EN_DASH}22:00 (Europe/Lisbon)",
        "Clube de Fado, Rua de São João da Praça 94, 1100-521 Lisboa",
        "Zoë Ñúñez",  # Latin-1 prints as such
        "Ticket 2 of 3 · €25.00",
        "Casa do Fado",
        f"Ticket {TICKET.ticket_id}",
    ):
        assert expected in text
    assert " ".join(text.split()).count(FINE_PRINT) == 1


def test_names_beyond_latin1_print_in_dejavu_and_the_code_still_scans(tmp_path: Path):
    ticket = replace(TICKET, attendee_name="Ἀλέξανδρος Ковалёва", event_title="Ночь фаду 🎸 李雷")
    path = write_pdf(ticket, tmp_path)
    text = pdf_text(path)
    assert "Ἀλέξανδρος Ковалёва" in text  # Greek (polytonic) and Cyrillic, as typed
    assert "Ночь фаду ? ??" in text  # DejaVu has no emoji and no Chinese
    fonts = run("/usr/bin/pdffonts", path)
    assert "DejaVuSans" in fonts
    assert re.search(r"DejaVuSans-Bold\s.*\byes\s+yes\b", fonts), fonts  # embedded subset
    (page,) = rasterise_pdf(path)
    with Image.open(page) as image:
        (barcode,) = decode(image)
    assert barcode.text == CODE


def test_latin_tickets_embed_no_font(tmp_path: Path):
    fonts = run("/usr/bin/pdffonts", write_pdf(TICKET, tmp_path))
    assert "DejaVu" not in fonts
    assert "Helvetica" in fonts


def test_long_title_is_cut_to_three_lines_with_an_ellipsis(tmp_path: Path):
    title = " ".join(f"Word{number}" for number in range(60))
    text = pdf_text(write_pdf(replace(TICKET, event_title=title), tmp_path))
    lines = [line for line in text.splitlines() if line.startswith("Word")]
    assert len(lines) == 3
    assert lines[-1].endswith(ELLIPSIS)
    assert "Word59" not in text


def test_pdf_is_small_and_deterministic():
    worst = replace(
        TICKET,
        event_title="A very long event title " * 10,
        venue="Somewhere with a long address " * 5,
        attendee_name="Maria da Conceição Rodrigues Figueiredo de Albuquerque e Vasconcelos",
    )
    for ticket in (TICKET, worst):
        data = render_ticket_pdf(ticket).data
        assert len(data) < 20 * 1024
        assert render_ticket_pdf(ticket).data == data
    # With DejaVu subsets embedded (a Cyrillic title and name): bigger, still repeatable.
    wide = replace(TICKET, event_title="Ночь фаду в Лиссабоне", attendee_name="Ковалёва Анна")
    data = render_ticket_pdf(wide).data
    assert len(data) < 60 * 1024
    assert render_ticket_pdf(wide).data == data


def test_latin_pdf_is_written_directly_with_a_valid_cross_reference_table():
    """The direct writer (new: reportlab wrote every ticket): each xref offset points at
    its object, startxref at the table; poppler reads it without a complaint."""
    data = render_ticket_pdf(TICKET).data
    assert b"ReportLab" not in data
    start = int(re.search(rb"startxref\n(\d+)\n%%EOF\n$", data)[1])  # type: ignore[index]
    assert data[start:].startswith(b"xref\n0 9\n0000000000 65535 f \n")
    offsets = re.findall(rb"^(\d{10}) 00000 n \n", data[start:], re.MULTILINE)
    assert len(offsets) == 8
    for number, offset in enumerate(offsets, 1):
        assert data[int(offset) :].startswith(b"%d 0 obj\n" % number)
    info = subprocess.run(["/usr/bin/pdfinfo", "-"], input=data, capture_output=True, check=True)
    assert info.stderr == b""
    assert b"Title:           Ticket: Fado at Midnight\n" in info.stdout
    assert b"Author:          Casa do Fado\n" in info.stdout


def test_document_information_beyond_ascii_is_kept(tmp_path: Path):
    ticket = replace(TICKET, organizer_name="Zoë & Ñúñez (Lisboa) €", event_title="Fado\\ “Noite”")
    info = run("/usr/bin/pdfinfo", write_pdf(ticket, tmp_path))
    assert "Author:          Zoë & Ñúñez (Lisboa) €\n" in info
    assert "Title:           Ticket: Fado\\ “Noite”\n" in info
    text = pdf_text(write_pdf(ticket, tmp_path))
    assert "Zoë & Ñúñez (Lisboa) €" in text
    assert "Fado\\ “Noite”" in text


def test_text_width_is_reportlabs_for_every_winansi_character():
    winansi = bytes(range(0x20, 0x100)).decode("cp1252", errors="ignore")
    characters = "".join(filter(str.isprintable, winansi))  # what `printable` lets through
    for font in ("Helvetica", "Helvetica-Bold", "Courier"):
        for character in characters:
            assert text_width(character, font, 9.5) == stringWidth(character, font, 9.5)
        assert text_width(characters, font, 7) == stringWidth(characters, font, 7)


def test_many_random_codes_scan_from_the_printed_page(tmp_path: Path):
    """Rasterised at 100 dpi, every ticket's QR code reads back (20 random codes)."""
    for code in random_codes(60, seed=2026)[::3]:  # ticket-shaped codes
        ticket = replace(TICKET, code=code, ticket_id=hashlib.sha256(code.encode()).hexdigest())
        path = write_pdf(ticket, tmp_path)
        run("/usr/bin/pdftoppm", "-r", "100", "-png", "-singlefile", path, path.with_suffix(""))
        with Image.open(path.with_suffix(".png")) as image:
            (barcode,) = decode(image)
        assert barcode.text == code


def test_layout_fits_the_page_at_its_fullest_and_the_qr_is_large():
    width, height = TICKET_LAYOUT.page_size
    assert TICKET_LAYOUT.max_content_height() <= height - 2 * TICKET_LAYOUT.margin
    (qr,) = [item for item in TICKET_LAYOUT.top + TICKET_LAYOUT.bottom if isinstance(item, Qr)]
    modules = len(qr_matrix(CODE))
    assert qr.size * (modules - 2 * QUIET_ZONE) / modules >= 60 * mm
    assert qr.size <= width


# --- text helpers --------------------------------------------------------------------


def test_when_label_spans_days_and_converts_to_the_event_zone():
    ticket = replace(
        TICKET,
        starts_local=datetime(2026, 7, 4, 21, 0, tzinfo=UTC),
        ends_local=datetime(2026, 7, 5, 1, 30, tzinfo=UTC),
    )
    assert when_label(ticket) == (
        f"Saturday 4 July 2026, 22:00 {EN_DASH} Sunday 5 July 2026, 02:30 (Europe/Lisbon)"
    )


def test_printable_keeps_winansi_and_replaces_the_rest():
    assert printable("Zoe\u0308 Ñúñez") == "Zoë Ñúñez"  # combining diaeresis composed
    winansi = f"€25 {EN_DASH} “ok” {ELLIPSIS}"
    assert printable(winansi) == winansi
    assert printable("李雷") == "??"
    assert printable("Ωμέγα") == "?????"  # the standard fonts have no Greek
    assert printable("a\tb\u00adc") == "a bc"


def test_wrap_breaks_words_wider_than_the_column():
    lines = wrap("X" * 200, "Helvetica", 10, 100, max_lines=3)
    assert len(lines) == 3
    assert lines[-1].endswith(ELLIPSIS)
    assert wrap("", "Helvetica", 10, 100, max_lines=3) == []
    assert wrap("  two   words ", "Helvetica", 10, 100, max_lines=1) == ["two words"]

"""A one-page PDF written directly, for pages whose text is all in standard fonts.

A ticket in Helvetica and Courier needs only a catalog, a page, its content stream, a font
dictionary per font (the viewer supplies the standard fonts) and the document information.
Writing those few objects here takes a fraction of the time reportlab's general document
model does (about 0.5 ms a ticket, a third of it); reportlab still writes every page that
embeds a TrueType font (see `ticket_pdf`). The output is deterministic: no dates, and the
file identifier is a digest of the content.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping

# Fonts every PDF viewer has (PDF 1.7, 9.6.2.2), used with their WinAnsi encoding.
STANDARD_FONTS = frozenset(
    {
        *("Helvetica", "Helvetica-Bold", "Helvetica-Oblique", "Helvetica-BoldOblique"),
        *("Courier", "Courier-Bold", "Courier-Oblique", "Courier-BoldOblique"),
        *("Times-Roman", "Times-Bold", "Times-Italic", "Times-BoldItalic"),
    }
)

# WinAnsi bytes (read as Latin-1) -> a PDF literal string's characters: the delimiters
# escaped and everything outside printable ASCII as an octal escape.
_LITERAL = {byte: f"\\{byte:03o}" for byte in (*range(0x20), *range(0x7F, 0x100))}
_LITERAL.update({ord("("): "\\(", ord(")"): "\\)", ord("\\"): "\\\\"})


def text_literal(text: str) -> str:
    """`text` as a PDF literal string in WinAnsi encoding, e.g. ``(Zo\\353)``.

    Raises UnicodeEncodeError for a character WinAnsi lacks (callers check first)."""
    return "(" + text.encode("cp1252").decode("latin-1").translate(_LITERAL) + ")"


def _info_string(text: str) -> str:
    if text.isascii():
        return text_literal(text)
    # Document information is a text string: UTF-16BE with a byte order mark.
    return "<feff" + text.encode("utf-16-be").hex() + ">"


def number(value: float, places: int = 3) -> str:
    """A coordinate to 1/1000 point (by default), without trailing zeros."""
    return f"{value:.{places}f}".rstrip("0").rstrip(".")


def one_page_pdf(
    page_size: tuple[float, float],
    content: str,
    fonts: Mapping[str, str],
    info: Mapping[str, str],
) -> bytes:
    """A PDF of one page drawn by `content` (operators), with `fonts` (resource name ->
    standard font, e.g. "F1" -> "Helvetica") and document information such as Title."""
    if not set(fonts.values()) <= STANDARD_FONTS:
        raise ValueError(f"only standard fonts can go without embedding: {fonts}")
    width, height = map(number, page_size)
    first_font = 6
    font_refs = " ".join(f"/{name} {first_font + i} 0 R" for i, name in enumerate(fonts))
    entries = " ".join(f"/{key} {_info_string(value)}" for key, value in info.items())
    stream = zlib.compress(content.encode("ascii"))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width} {height}]"
        f" /Resources << /Font << {font_refs} >> >> /Contents 5 0 R >>".encode(),
        f"<< {entries} >>".encode("ascii"),
        b"<< /Length %d /Filter /FlateDecode >>\nstream\n%b\nendstream" % (len(stream), stream),
        *(
            f"<< /Type /Font /Subtype /Type1 /BaseFont /{font}"
            " /Encoding /WinAnsiEncoding >>".encode()
            for font in fonts.values()
        ),
    ]
    pdf = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")  # a binary file, says the comment
    offsets: list[int] = []
    for number_, body in enumerate(objects, 1):
        offsets.append(len(pdf))
        pdf += b"%d 0 obj\n%b\nendobj\n" % (number_, body)
    xref = len(pdf)
    pdf += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    pdf += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    identifier = hashlib.md5(pdf, usedforsecurity=False).hexdigest()
    pdf += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R /Info 4 0 R"
        f" /ID [<{identifier}> <{identifier}>] >>\nstartxref\n{xref}\n%%EOF\n"
    ).encode()
    return bytes(pdf)

"""A ticket's QR code: the module matrix, and an inline SVG built from it.

Error correction is level M (15 % of the symbol may be damaged), with the quiet zone of
4 modules that the standard asks for. A code made only of QR-alphanumeric characters
(0-9, A-Z, space and ``$%*+-./:``), like our uppercase base32 ticket codes, is encoded in
one alphanumeric segment: 5.5 bits a character instead of 8, so a 170-character code
fits version 7 (45 x 45 modules) instead of version 10.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from html import escape
from itertools import pairwise
from typing import Literal, cast

import qrcode
from qrcode.constants import ERROR_CORRECT_M
from qrcode.util import ALPHA_NUM, QRData, mask_func

# qrcode.util.MODE_ALPHA_NUM, as the literal the stubs' QRData asks for.
_ALPHA_NUM_MODE: Literal[2] = 2

QUIET_ZONE = 4  # modules of light border on every side (ISO/IEC 18004 minimum)

_ALPHA_NUM_CHARS = frozenset(ALPHA_NUM.decode("ascii"))

Run = tuple[int, int, int]  # (row, first column, length) of dark modules


def qr_matrix(code: str) -> list[list[bool]]:
    """The QR symbol for `code`, quiet zone included: rows of modules, True = dark."""
    qr = _QRCode(error_correction=ERROR_CORRECT_M, border=QUIET_ZONE)
    if code and set(code) <= _ALPHA_NUM_CHARS:
        qr.add_data(QRData(code.encode("ascii"), mode=_ALPHA_NUM_MODE))
    else:
        # Anything else: qrcode splits it into numeric, alphanumeric and byte (UTF-8)
        # segments, whichever is shortest.
        qr.add_data(code)
    qr.make(fit=True)
    # Fresh lists: qrcode repeats one list object for every row of the quiet zone.
    return [list(row) for row in qr.get_matrix()]


class _QRCode(qrcode.QRCode):  # type: ignore[type-arg]  # generic only in the stubs
    """qrcode's encoder, choosing the same mask pattern about three times faster.

    qrcode lays out the symbol under each of the 8 masks and scores each in pure Python,
    which is most of the time of making a ticket (about 6 of 8 ms). A mask only flips
    data modules, so here the symbol is laid out once and the other 7 candidates are that
    one with the modules where two mask patterns differ flipped, as integer bit rows;
    `mask_penalty` scores them as `qrcode.util.lost_point` does. Tests check both against
    qrcode's own, so the symbol is the one qrcode would make.
    """

    _data_modules: list[list[bool]]

    def map_data(self, data: Sequence[int], mask_pattern: int) -> None:
        # The modules map_data fills (the rest are finder, timing and format patterns).
        self._data_modules = [[module is None for module in row] for row in self.modules]
        super().map_data(data, mask_pattern)

    def best_mask_pattern(self) -> int:
        candidates = self.masked_candidates()
        penalties = [_penalty(rows, self.modules_count) for rows in candidates]
        return penalties.index(min(penalties))

    def masked_candidates(self) -> list[list[int]]:
        """The symbol under each mask (in qrcode's test mode), rows as bit integers."""
        self.makeImpl(True, 0)
        # Once laid out, every module is set: none is None any more.
        rows = [_row_bits(cast("list[bool]", row)) for row in self.modules]
        flips = _mask_flips(self.modules_count, tuple(map(_row_bits, self._data_modules)))
        return [[row ^ flip for row, flip in zip(rows, mask, strict=True)] for mask in flips]


@functools.cache
def _mask_flips(size: int, data_rows: tuple[int, ...]) -> tuple[tuple[int, ...], ...]:
    """For each mask, the data modules where its pattern differs from mask 0's.

    Depends only on the version, so it is computed once per version (8 x size^2 calls).
    """
    patterns = [mask_func(mask) for mask in range(8)]

    def flips(pattern: Callable[[int, int], bool], i: int, data: int) -> int:
        differs = 0
        for j in range(size):
            differs = differs << 1 | (pattern(i, j) != patterns[0](i, j))
        return differs & data

    return tuple(
        tuple(flips(pattern, i, data) for i, data in enumerate(data_rows)) for pattern in patterns
    )


_BINARY_DIGITS = bytes.maketrans(b"\x00\x01", b"01")


def _row_bits(row: list[bool]) -> int:
    """A row of modules as an integer, the first module the most significant bit."""
    return int(bytes(row).translate(_BINARY_DIGITS), 2)


_SAME_COLOUR_RUN = re.compile(rb"0{5,}|1{5,}")
_FINDER_LIKE = (b"10111010000", b"00001011101")


def mask_penalty(modules: list[list[bool]]) -> int:
    """The penalty of a masked symbol (no quiet zone), scored as `qrcode.util.lost_point`."""
    return _penalty([_row_bits(row) for row in modules], len(modules))


def _penalty(rows: list[int], size: int) -> int:
    digits = [format(row, f"0{size}b").encode("ascii") for row in rows]
    # Every row and column in one string of "0" and "1", separated by spaces.
    lines = b" ".join(digits + [bytes(column) for column in zip(*digits, strict=True)])
    # 1. Runs of 5 or more modules of one colour in a row or column: length - 2 each.
    runs = _SAME_COLOUR_RUN.findall(lines)
    penalty = sum(map(len, runs)) - 2 * len(runs)
    # 2. 2 x 2 blocks of one colour: 3 each.
    inner = (1 << (size - 1)) - 1
    for upper, lower in pairwise(rows):
        same = ~(upper ^ lower)  # same colour as the module below
        penalty += 3 * (same & (same >> 1) & ~(upper ^ (upper >> 1)) & inner).bit_count()
    # 3. 1:1:3:1:1 finder-like patterns with 4 light modules on one side: 40 each.
    # (Neither pattern can overlap itself, so `count` finds every occurrence.)
    penalty += 40 * sum(lines.count(pattern) for pattern in _FINDER_LIKE)
    # 4. Each 5 % of imbalance between dark and light: 10.
    dark = sum(row.bit_count() for row in rows)
    penalty += int(abs(dark / size**2 * 100 - 50) / 5) * 10
    return penalty


def dark_runs(matrix: list[list[bool]]) -> list[Run]:
    """Horizontal runs of dark modules, row by row: one rectangle each when drawing."""
    runs: list[Run] = []
    for y, row in enumerate(matrix):
        x = 0
        width = len(row)
        while x < width:
            if not row[x]:
                x += 1
                continue
            start = x
            while x < width and row[x]:
                x += 1
            runs.append((y, start, x - start))
    return runs


def qr_svg(code: str, *, label: str = "Ticket QR code") -> str:
    """An inline SVG of the QR code, sized by CSS (no width or height of its own).

    The viewBox is in modules and `shape-rendering="crispEdges"` keeps module edges
    sharp at any size. It has no script and no style attribute (the CSP forbids inline
    styles): colours are presentation attributes.
    """
    matrix = qr_matrix(code)
    size = len(matrix)
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for y, x, n in dark_runs(matrix))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}"'
        f' shape-rendering="crispEdges" role="img" aria-label="{escape(label)}">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/>'
        "</svg>"
    )

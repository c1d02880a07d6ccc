"""A ticket's QR code: the module matrix, and an inline SVG built from it.

Error correction is level M (15 % of the symbol may be damaged), with the quiet zone of
4 modules that the standard asks for. A code made only of QR-alphanumeric characters
(0-9, A-Z, space and ``$%*+-./:``), like our uppercase base32 ticket codes, is encoded in
one alphanumeric segment: 5.5 bits a character instead of 8, so a 170-character code
fits version 7 (45 x 45 modules) instead of version 10.

The symbol is the one the qrcode package makes (same segments, version, error correction
codewords and mask; tests compare the two on many codes), built about 20 times faster:
qrcode places every bit through Python lists and scores each of the 8 masks module by
module, which was most of the CPU of a ticket PDF. Here a symbol is one integer, a bit a
module, and every per-version part (function patterns, where the data bits go, the mask
patterns) is computed once. The data bits are placed in one gather, and the ISO/IEC 18004
penalty that picks the mask is counted with shifts and masks over the whole symbol at once.
"""

from __future__ import annotations

import functools
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape
from operator import itemgetter
from re import compile as re_compile
from typing import cast

from qrcode import QRCode
from qrcode.base import EXP_TABLE, LOG_TABLE, rs_blocks
from qrcode.constants import ERROR_CORRECT_M
from qrcode.exceptions import DataOverflowError
from qrcode.util import (
    ALPHA_NUM,
    BIT_LIMIT_TABLE,
    MODE_8BIT_BYTE,
    MODE_ALPHA_NUM,
    MODE_NUMBER,
    PAD0,
    PAD1,
    mask_func,
    mode_sizes_for_version,
    optimal_data_chunks,
)

QUIET_ZONE = 4  # modules of light border on every side (ISO/IEC 18004 minimum)

_ALPHA_NUM_CHARS = frozenset(ALPHA_NUM.decode("ascii"))
_ALPHA_NUM_VALUE = {char: value for value, char in enumerate(ALPHA_NUM)}
_NUMBER_BITS = {3: 10, 2: 7, 1: 4}
_LIMITS = BIT_LIMIT_TABLE[ERROR_CORRECT_M]
_DARK_RUN = re_compile("1+")

Run = tuple[int, int, int]  # (row, first column, length) of dark modules


@dataclass(frozen=True)
class QrSymbol:
    """A QR symbol with its quiet zone: `size` modules a side, each row an integer whose
    most significant of `size` bits is the leftmost module (1 = dark)."""

    size: int
    rows: tuple[int, ...]
    version: int
    mask: int

    def matrix(self) -> list[list[bool]]:
        """Rows of modules, True = dark."""
        return [[digit == "1" for digit in self._digits(row)] for row in self.rows]

    def dark_runs(self) -> list[Run]:
        """Horizontal runs of dark modules, row by row: one rectangle each when drawing."""
        return [
            (y, match.start(), match.end() - match.start())
            for y, row in enumerate(self.rows)
            if row
            for match in _DARK_RUN.finditer(self._digits(row))
        ]

    def _digits(self, row: int) -> str:
        return format(row, f"0{self.size}b")


def qr_symbol(code: str) -> QrSymbol:
    """The QR symbol for `code` at error correction level M, quiet zone included."""
    segments = _segments(code)
    version = _version(segments)
    grid = _grid(version)
    data = grid.place(_codewords(segments, version))
    penalties = [_penalty(grid.function_test | (data ^ mask), grid) for mask in grid.masks]
    best = penalties.index(min(penalties))  # the first of equals, as qrcode picks
    symbol = grid.function[best] | (data ^ grid.masks[best])
    n = grid.n
    row_mask = (1 << n) - 1
    symbol_rows = [(symbol >> (y * n) & row_mask) << QUIET_ZONE for y in range(n)]
    quiet = (0,) * QUIET_ZONE
    return QrSymbol(n + 2 * QUIET_ZONE, (*quiet, *symbol_rows, *quiet), version, best)


def qr_matrix(code: str) -> list[list[bool]]:
    """The QR symbol for `code`, quiet zone included: rows of modules, True = dark."""
    return qr_symbol(code).matrix()


def dark_runs(matrix: Sequence[Sequence[bool]]) -> list[Run]:
    """Horizontal runs of dark modules of any matrix (see `QrSymbol.dark_runs`)."""
    digits = ("".join("1" if module else "0" for module in row) for row in matrix)
    return [
        (y, match.start(), match.end() - match.start())
        for y, row in enumerate(digits)
        for match in _DARK_RUN.finditer(row)
    ]


# --- Data: segments, version, codewords -------------------------------------------------

_Segment = tuple[int, int, int, int]  # mode, characters, data bits as an int, their count


def _segments(code: str) -> list[_Segment]:
    if code and set(code) <= _ALPHA_NUM_CHARS:
        return [_segment(MODE_ALPHA_NUM, code.encode("ascii"))]
    # Anything else: split into numeric, alphanumeric and byte (UTF-8) segments,
    # whichever is shortest, as qrcode's `QRCode.add_data` does.
    return [_segment(chunk.mode, chunk.data) for chunk in optimal_data_chunks(code, minimum=20)]


def _segment(mode: int, data: bytes) -> _Segment:
    if mode == MODE_NUMBER:
        groups = [data[i : i + 3] for i in range(0, len(data), 3)]
        parts = [(int(group), _NUMBER_BITS[len(group)]) for group in groups]
    elif mode == MODE_ALPHA_NUM:
        values = [_ALPHA_NUM_VALUE[char] for char in data]
        parts = [(values[i] * 45 + values[i + 1], 11) for i in range(0, len(values) - 1, 2)]
        if len(values) % 2:
            parts.append((values[-1], 6))
    else:
        return (MODE_8BIT_BYTE, len(data), int.from_bytes(data), 8 * len(data))
    bits = length = 0
    for value, width in parts:
        bits = bits << width | value
        length += width
    return (mode, len(data), bits, length)


def _version(segments: list[_Segment]) -> int:
    """The smallest version that holds the segments, found as qrcode's `best_fit` does."""
    version = 1
    while True:
        sizes = _count_bits(version)
        needed = sum(4 + sizes[mode] + length for mode, _, _, length in segments)
        fits = bisect_left(_LIMITS, needed, version)
        if fits > 40:
            raise DataOverflowError(f"{needed} bits do not fit a version 40 QR code")
        if _count_bits(fits) is sizes:  # the character counts' widths held
            return fits
        version = fits


def _count_bits(version: int) -> dict[int, int]:
    """The width of a segment's character count, by mode (3 sizes of versions)."""
    return cast("dict[int, int]", mode_sizes_for_version(version))


def _codewords(segments: list[_Segment], version: int) -> bytes:
    """Data and error correction codewords, interleaved across the blocks."""
    sizes = _count_bits(version)
    bits = length = 0
    for mode, count, value, value_length in segments:
        bits = ((bits << 4 | mode) << sizes[mode] | count) << value_length | value
        length += 4 + sizes[mode] + value_length
    limit = _LIMITS[version]
    terminator = min(limit - length, 4)
    length += terminator
    padding = -length % 8
    bits <<= terminator + padding
    length += padding
    data = bits.to_bytes(length // 8) + bytes((PAD0, PAD1)) * ((limit - length) // 16 + 1)
    data_blocks: list[bytes] = []
    ec_blocks: list[bytes] = []
    offset = 0
    for block in rs_blocks(version, ERROR_CORRECT_M):
        data_blocks.append(data[offset : offset + block.data_count])
        offset += block.data_count
        ec_blocks.append(_error_correction(data_blocks[-1], block.total_count - block.data_count))
    return _interleave(data_blocks) + _interleave(ec_blocks)


def _interleave(blocks: list[bytes]) -> bytes:
    """The first codeword of each block, then the second... Blocks differ in length by at
    most one codeword, the longer ones last."""
    count, shortest = len(blocks), len(blocks[0])
    interleaved = bytearray(count * shortest)
    for index, block in enumerate(blocks):
        interleaved[index::count] = block[:shortest]
    return bytes(interleaved) + bytes(block[-1] for block in blocks if len(block) > shortest)


def _error_correction(data: bytes, count: int) -> bytes:
    """Reed-Solomon: the remainder of data * x^count divided by the generator polynomial,
    a byte at a time with one table lookup (the generator times every byte value)."""
    table = _remainder_table(count)
    shift = 8 * (count - 1)
    keep = (1 << shift) - 1
    remainder = 0
    for byte in data:
        remainder = (remainder & keep) << 8 ^ table[remainder >> shift ^ byte]
    return remainder.to_bytes(count)


@functools.cache
def _remainder_table(count: int) -> tuple[int, ...]:
    generator = [1]  # product of (x - a^i) for i < count, highest power first
    for i in range(count):
        generator = [
            a ^ _multiply(b, EXP_TABLE[i])
            for a, b in zip([*generator, 0], [0, *generator], strict=True)
        ]
    return tuple(
        int.from_bytes(bytes(_multiply(factor, g) for g in generator[1:])) for factor in range(256)
    )


def _multiply(a: int, b: int) -> int:
    return EXP_TABLE[(LOG_TABLE[a] + LOG_TABLE[b]) % 255] if a and b else 0


# --- Layout: everything that depends only on the version, as integers ---------------------


@dataclass(frozen=True)
class _Grid:
    """One version's symbol, module (y, x) being bit y*n + (n-1-x) of an integer."""

    n: int
    full: int  # every module
    function: tuple[int, ...]  # dark function modules under each mask (format information)
    function_test: int  # the same with format and version information light, as scored
    masks: tuple[int, ...]  # data modules each mask pattern flips
    data_modules: int
    gather: Callable[[bytes], tuple[int, ...]]  # data digits -> the symbol's digits (see `place`)
    runs5: int  # where a horizontal window of 5 modules may start; the same below for
    runs5_down: int  # vertical windows, 2 x 2 blocks and windows of 11
    blocks: int
    finders: int
    finders_down: int

    def place(self, codewords: bytes) -> int:
        """The data modules, unmasked, holding `codewords` (remainder bits light)."""
        # The data modules' digits, then light ones: remainder bits and `gather`'s filler.
        digits = int.from_bytes(codewords) << self.data_modules + 1 - 8 * len(codewords)
        return int(bytes(self.gather(format(digits, f"0{self.data_modules + 1}b").encode())), 2)


@functools.cache
def _grid(version: int) -> _Grid:
    n = version * 4 + 17

    def bits(modules: list[list[bool | None]], value: bool | None = True) -> int:
        return sum(
            1 << (y * n + n - 1 - x)
            for y, row in enumerate(modules)
            for x, module in enumerate(row)
            if module is value
        )

    # qrcode draws the function patterns (finders, timing, alignment, format and version).
    qr = QRCode(version=version, error_correction=ERROR_CORRECT_M)
    qr.modules_count = n

    def function_patterns(test: bool, mask: int) -> list[list[bool | None]]:
        qr.modules = [[None] * n for _ in range(n)]
        for row, col in ((0, 0), (n - 7, 0), (0, n - 7)):
            qr.setup_position_probe_pattern(row, col)
        qr.setup_position_adjust_pattern()
        qr.setup_timing_pattern()
        qr.setup_type_info(test, mask)
        if version >= 7:
            qr.setup_type_number(test)
        return qr.modules

    template = function_patterns(True, 0)
    data_modules = list(_data_order(template))
    patterns = [mask_func(mask) for mask in range(8)]
    # Where each bit of the data string goes: the string's first digit is the integer's
    # most significant bit. Modules that hold no data take the "0" after the data.
    order = {y * n + n - 1 - x: index for index, (y, x) in enumerate(data_modules)}
    pad = len(data_modules)  # the index of a light digit after the data (see `place`)

    def valid(width: int, height: int) -> int:
        return sum(
            1 << (y * n + bit) for y in range(n - height + 1) for bit in range(n - width + 1)
        )

    return _Grid(
        n=n,
        full=(1 << n * n) - 1,
        function=tuple(bits(function_patterns(False, mask)) for mask in range(8)),
        function_test=bits(template),
        masks=tuple(
            sum(1 << (y * n + n - 1 - x) for y, x in data_modules if pattern(y, x))
            for pattern in patterns
        ),
        data_modules=pad,
        gather=itemgetter(*(order.get(bit, pad) for bit in reversed(range(n * n)))),
        runs5=valid(5, 1),
        runs5_down=valid(1, 5),
        blocks=valid(2, 2),
        finders=valid(11, 1),
        finders_down=valid(1, 11),
    )


def _data_order(template: list[list[bool | None]]) -> list[tuple[int, int]]:
    """The modules that hold data, in the order qrcode's `map_data` fills them: two columns
    at a time from the right, up then down, skipping the vertical timing pattern."""
    n = len(template)
    order: list[tuple[int, int]] = []
    upward = True
    for right in range(n - 1, 0, -2):
        col = right - 1 if right <= 6 else right
        rows = range(n - 1, -1, -1) if upward else range(n)
        order += [(y, x) for y in rows for x in (col, col - 1) if template[y][x] is None]
        upward = not upward
    return order


# --- The mask penalty --------------------------------------------------------------------


def _penalty(symbol: int, grid: _Grid) -> int:
    """ISO/IEC 18004's penalty of a masked symbol, as qrcode's `util.lost_point` counts it.

    Each rule is evaluated at every module at once: `x >> k` lines up the module k to the
    left (k * n: k rows down) with each module, and a `grid` mask keeps only the windows
    that lie inside the symbol.
    """
    n, full = grid.n, grid.full
    light = symbol ^ full
    across = symbol ^ symbol >> 1  # differs from its neighbour across
    down = symbol ^ symbol >> n  # differs from its neighbour below
    # 1. Runs of 5 or more modules of one colour in a row or column: length - 2 each,
    # that is 1 for each window of 5 in the run, plus 2 for the run.
    same = across ^ full
    same &= same >> 1
    runs = same & same >> 2 & grid.runs5
    same = down ^ full
    same &= same >> n
    runs_down = same & same >> 2 * n & grid.runs5_down
    penalty = runs.bit_count() + runs_down.bit_count()
    penalty += 2 * ((runs & ~(runs << 1)).bit_count() + (runs_down & ~(runs_down << n)).bit_count())
    # 2. 2 x 2 blocks of one colour: 3 each.
    penalty += 3 * (((across | down | across >> n) ^ full) & grid.blocks).bit_count()
    # 3. 1:1:3:1:1 finder-like patterns with 4 light modules on one side: 40 each.
    for step, windows in ((1, grid.finders), (n, grid.finders_down)):
        core = symbol & light >> step & symbol >> 2 * step & symbol >> 3 * step
        core &= symbol >> 4 * step & light >> 5 * step & symbol >> 6 * step  # 1011101
        margin = light & light >> step
        margin &= margin >> 2 * step  # 0000
        found = (core & margin >> 7 * step | margin & core >> 4 * step) & windows
        penalty += 40 * found.bit_count()
    # 4. Each 5 % of imbalance between dark and light: 10.
    penalty += int(abs(symbol.bit_count() / n**2 * 100 - 50) / 5) * 10
    return penalty


def mask_penalty(modules: list[list[bool]]) -> int:
    """The penalty of a symbol (no quiet zone) given as rows of modules."""
    n = len(modules)
    version = (n - 17) // 4
    dark = [(y, x) for y, row in enumerate(modules) for x, module in enumerate(row) if module]
    symbol = sum(1 << (y * n + n - 1 - x) for y, x in dark)
    return _penalty(symbol, _grid(version))


# --- SVG -----------------------------------------------------------------------------------


def qr_svg(code: str, *, label: str = "Ticket QR code") -> str:
    """An inline SVG of the QR code, sized by CSS (no width or height of its own).

    The viewBox is in modules and `shape-rendering="crispEdges"` keeps module edges
    sharp at any size. It has no script and no style attribute (the CSP forbids inline
    styles): colours are presentation attributes.
    """
    symbol = qr_symbol(code)
    size = symbol.size
    path = "".join(f"M{x} {y}h{n}v1h-{n}z" for y, x, n in symbol.dark_runs())
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}"'
        f' shape-rendering="crispEdges" role="img" aria-label="{escape(label)}">'
        f'<rect width="{size}" height="{size}" fill="#fff"/>'
        f'<path fill="#000" d="{path}"/>'
        "</svg>"
    )

#!/usr/bin/env python3
"""Draws a terminal screen captured with `tmux capture-pane -e -p` as a PNG.

Reads the text with its SGR escape sequences (the 16 standard colours,
256-colour indices, 24-bit colours, bold, dim, italic, underline, reverse)
and paints each cell in DejaVu Sans Mono. Needs Pillow (`pip install
pillow`) and the DejaVu fonts (Debian: `fonts-dejavu-core`).

Emoji are drawn with Noto Color Emoji where it is installed (Debian:
`fonts-noto-color-emoji`); without it they are left blank.

Usage: ansi_to_png.py SCREEN.ansi OUT.png [--cols N] [--rows N] [--size PT]
"""

import argparse
import re
import subprocess
import sys
import unicodedata

from PIL import Image, ImageDraw, ImageFont

BACKGROUND = (30, 30, 36)
FOREGROUND = (216, 216, 216)
# A common dark terminal palette (xterm's, a little softened).
PALETTE_16 = [
    (40, 42, 46), (204, 72, 72), (106, 176, 76), (214, 170, 64),
    (82, 130, 200), (178, 102, 186), (64, 170, 180), (200, 200, 200),
    (110, 112, 118), (240, 110, 110), (150, 214, 110), (240, 210, 110),
    (120, 170, 240), (214, 140, 222), (110, 210, 220), (250, 250, 250),
]
FONT_DIRS = ["/usr/share/fonts/truetype/dejavu/"]
SGR = re.compile(r"\x1b\[([0-9;:]*)m")
OTHER_ESCAPE = re.compile(r"\x1b(\[[0-9;?]*[A-Za-ln-z]|\][^\x07\x1b]*(\x07|\x1b\\)|.)")


def color_256(n):
    if n < 16:
        return PALETTE_16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return (steps[n // 36], steps[n // 6 % 6], steps[n % 6])
    level = 8 + (n - 232) * 10
    return (level, level, level)


class Style:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = None
        self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def copy(self):
        other = Style()
        other.__dict__.update(self.__dict__)
        return other

    def apply(self, params):
        codes = [int(p) if p else 0 for p in re.split("[;:]", params)] if params else [0]
        i = 0
        while i < len(codes):
            code = codes[i]
            if code == 0:
                self.reset()
            elif code == 1:
                self.bold = True
            elif code == 2:
                self.dim = True
            elif code == 3:
                self.italic = True
            elif code == 4:
                self.underline = True
            elif code == 7:
                self.reverse = True
            elif code == 22:
                self.bold = self.dim = False
            elif code == 23:
                self.italic = False
            elif code == 24:
                self.underline = False
            elif code == 27:
                self.reverse = False
            elif 30 <= code <= 37:
                self.fg = PALETTE_16[code - 30]
            elif 90 <= code <= 97:
                self.fg = PALETTE_16[code - 90 + 8]
            elif 40 <= code <= 47:
                self.bg = PALETTE_16[code - 40]
            elif 100 <= code <= 107:
                self.bg = PALETTE_16[code - 100 + 8]
            elif code == 39:
                self.fg = None
            elif code == 49:
                self.bg = None
            elif code in (38, 48) and i + 1 < len(codes):
                if codes[i + 1] == 5 and i + 2 < len(codes):
                    value = color_256(codes[i + 2])
                    i += 2
                elif codes[i + 1] == 2 and i + 4 < len(codes):
                    value = tuple(codes[i + 2:i + 5])
                    i += 4
                else:
                    value = None
                if code == 38:
                    self.fg = value
                else:
                    self.bg = value
            i += 1

    def colors(self):
        fg = self.fg or FOREGROUND
        bg = self.bg or BACKGROUND
        # Bold brightens the first eight colours, as most terminals do.
        if self.bold and self.fg in PALETTE_16[:8]:
            fg = PALETTE_16[PALETTE_16.index(self.fg) + 8]
        if self.reverse:
            fg, bg = bg, fg
        if self.dim:
            fg = tuple((f + b) // 2 for f, b in zip(fg, bg))
        return fg, bg


def cell_width(ch):
    if unicodedata.combining(ch):
        return 0
    return 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1


def parse(text, cols, rows):
    """The screen as rows of cells: (character, style, width)."""
    screen = []
    for line in text.split("\n")[:rows]:
        style = Style()
        cells = []
        at = 0
        while at < len(line):
            if line[at] == "\x1b":
                match = SGR.match(line, at)
                if match:
                    style.apply(match.group(1))
                    at = match.end()
                    continue
                other = OTHER_ESCAPE.match(line, at)
                at = other.end() if other else at + 1
                continue
            ch = line[at]
            at += 1
            width = cell_width(ch)
            if width == 0 and cells:
                prev = cells[-1]
                cells[-1] = (prev[0] + ch, prev[1], prev[2])
                continue
            cells.append((ch, style.copy(), width))
        # What tmux trims at the end of a line carries the line's last background.
        used = sum(c[2] for c in cells)
        filler = Style()
        if cells and cells[-1][1].bg is not None:
            filler = cells[-1][1].copy()
        cells.extend((" ", filler, 1) for _ in range(max(0, cols - used)))
        screen.append(cells)
    while len(screen) < rows:
        screen.append([(" ", Style(), 1)] * cols)
    return screen


def find_font(names):
    for name in names:
        for folder in FONT_DIRS:
            try:
                return ImageFont.truetype(folder + name, SIZE)
            except OSError:
                pass
        try:
            found = subprocess.run(["fc-match", "-f", "%{file}", name.rsplit(".", 1)[0]],
                                   capture_output=True, text=True, check=False).stdout
            if found:
                return ImageFont.truetype(found, SIZE)
        except (OSError, FileNotFoundError):
            pass
    return None


class Fonts:
    def __init__(self):
        self.regular = find_font(["DejaVuSansMono.ttf"])
        if self.regular is None:
            sys.exit("DejaVu Sans Mono not found: install fonts-dejavu-core")
        self.bold = find_font(["DejaVuSansMono-Bold.ttf"]) or self.regular
        self.italic = find_font(["DejaVuSansMono-Oblique.ttf"]) or self.regular
        self.fallbacks = [f for f in [find_font(["DejaVuSans.ttf"])] if f]
        self.emoji = None
        try:
            # A bitmap font: it opens at its one size only, and is scaled to a cell.
            self.emoji = ImageFont.truetype("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf", 109)
        except OSError:
            pass
        self.missing_mask = {}
        self.has = {}

    def covers(self, font, ch):
        """Whether `font` has a glyph for `ch` (not its "missing" box)."""
        key = (id(font), ch)
        if key not in self.has:
            if id(font) not in self.missing_mask:
                self.missing_mask[id(font)] = bytes(font.getmask("\U0010fffd"))
            self.has[key] = bytes(font.getmask(ch)) != self.missing_mask[id(font)]
        return self.has[key]

    def pick(self, ch, style):
        font = self.bold if style.bold else self.italic if style.italic else self.regular
        if ch.strip() == "" or self.covers(font, ch[0]):
            return font
        for fallback in self.fallbacks:
            if self.covers(fallback, ch[0]):
                return fallback
        return None

    def emoji_image(self, ch, width, height):
        """`ch` in colour, `width`×`height` pixels, or None without the font."""
        if self.emoji is None:
            return None
        glyph = Image.new("RGBA", (136, 128), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((0, 0), ch, font=self.emoji, embedded_color=True)
        box = glyph.getbbox()
        if box is None:
            return None
        glyph = glyph.crop(box)
        scale = min(width / glyph.width, height / glyph.height)
        return glyph.resize((max(1, int(glyph.width * scale)), max(1, int(glyph.height * scale))), Image.LANCZOS)


def render(screen, out, cols):
    fonts = Fonts()
    left, top, right, bottom = fonts.regular.getbbox("M")
    cell_w = round(fonts.regular.getlength("M"))
    ascent, descent = fonts.regular.getmetrics()
    cell_h = ascent + descent + 2
    pad = 12
    image = Image.new("RGB", (cols * cell_w + 2 * pad, len(screen) * cell_h + 2 * pad), BACKGROUND)
    draw = ImageDraw.Draw(image)
    for row, cells in enumerate(screen):
        x = pad
        y = pad + row * cell_h
        for ch, style, width in cells:
            fg, bg = style.colors()
            span = width * cell_w
            if bg != BACKGROUND:
                draw.rectangle([x, y, x + span - 1, y + cell_h - 1], fill=bg)
            font = fonts.pick(ch, style)
            if font is not None and ch.strip():
                draw.text((x, y + 1), ch, font=font, fill=fg)
            elif ch.strip():
                glyph = fonts.emoji_image(ch, span - 2, cell_h - 4)
                if glyph is not None:
                    at = (x + (span - glyph.width) // 2, y + (cell_h - glyph.height) // 2)
                    image.paste(glyph, at, glyph)
            if style.underline:
                draw.line([x, y + ascent + 2, x + span - 1, y + ascent + 2], fill=fg)
            x += span
    image.save(out)


def main():
    global SIZE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("screen")
    parser.add_argument("out")
    parser.add_argument("--cols", type=int, default=100)
    parser.add_argument("--rows", type=int, default=28)
    parser.add_argument("--size", type=int, default=16)
    args = parser.parse_args()
    SIZE = args.size
    with open(args.screen, encoding="utf-8", errors="replace") as f:
        text = f.read().rstrip("\n")
    render(parse(text, args.cols, args.rows), args.out, args.cols)


SIZE = 16

if __name__ == "__main__":
    main()

#!/usr/bin/python3
"""Render text with a Debian TrueType font into PaddleOCR model inputs.

Writes float32 NCHW .npy tensors for the PaddleOCR recognition (rec),
direction classifier (cls) and detection (det) models, plus a deterministic
set of labelled text lines for accuracy harnesses.

Run with Debian's interpreter: /usr/bin/python3 (needs python3-numpy,
python3-pil, fonts-dejavu-core, fonts-liberation).

Subcommands:
  rec    one text line -> [1,3,48,W]   (BGR, (x/255-0.5)/0.5, white right pad)
  cls    one text line -> [1,3,48,192] (BGR, (x/255-0.5)/0.5, white right pad)
  det    a page of text lines -> [1,3,S,S] (BGR, ImageNet mean/std by default)
  lines  N random labelled lines -> D/line_XXXX.npy (rec inputs, gray right
         pad by default) + D/labels.txt (--rotate_odd: every odd line upside
         down and its angle in a third column, for cls sets)

With --raw the RGB uint8 image (0..255) is saved as float32 NCHW, without
normalization or channel swap.  Output is deterministic: the same arguments
give the same bytes.
"""

import argparse
import json
import math
import os
import random
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont

FONTS = {
    "dejavu": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "dejavu-bold": "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "dejavu-serif": "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "liberation": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "liberation-bold": "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    "liberation-serif": "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
}

REC_HEIGHT = 48
CLS_WIDTH = 192
# Glyphs are drawn at this size and then downscaled to the model height.
RENDER_SIZE = 96

# PaddleOCR DB detection normalization (applied in BGR channel order, as
# PaddleOCR does on cv2 images).
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Vocabulary for the "lines" subcommand (ASCII only: every character is in
# ppocr_keys_v1.txt).
VOCAB = (
    "model optimizer inference engine tensor graph layer kernel vector "
    "matrix convolution pooling softmax batch channel width height input "
    "output weight bias scale shift memory cache thread buffer stream "
    "shape index value token float double integer precision error result "
    "network compile runtime device stride padding window filter image "
    "text line page word letter number digit reader writer Hello World "
    "OpenVINO ONNX Paddle Debian CPU moir OCR the and for with from into "
    "over under fast slow small large green blue red black white north "
    "south east west river mountain garden market office school station"
).split()

LANCZOS = getattr(Image, "Resampling", Image).LANCZOS


class RenderError(Exception):
    pass


# ------------------------------------------------------------------ helpers --

def font_path(spec):
    path = FONTS.get(spec, spec)
    if not os.path.isfile(path):
        known = ", ".join(sorted(FONTS))
        raise RenderError("font %r not found (use one of: %s, or a .ttf path;"
                          " install fonts-dejavu-core / fonts-liberation)" % (spec, known))
    return path


def load_font(spec, size):
    return ImageFont.truetype(font_path(spec), size)


def parse_color(text):
    try:
        parts = [int(p) for p in text.split(",")]
    except ValueError:
        parts = []
    if len(parts) != 3 or not all(0 <= p <= 255 for p in parts):
        raise argparse.ArgumentTypeError("expected R,G,B with values 0..255, got %r" % text)
    return tuple(parts)


def render_line_crop(text, font_spec, fg, bg):
    """Render one text line tightly (font line height plus small margins)."""
    if not text:
        raise RenderError("empty text")
    font = load_font(font_spec, RENDER_SIZE)
    ascent, descent = font.getmetrics()
    line_h = ascent + descent
    pad_v = int(round(0.08 * line_h))
    pad_h = int(round(0.12 * line_h))
    advance = int(math.ceil(font.getlength(text)))
    left = min(0, font.getbbox(text)[0])  # glyphs may overhang the origin
    width = advance - left + 2 * pad_h
    height = line_h + 2 * pad_v
    img = Image.new("RGB", (width, height), bg)
    ImageDraw.Draw(img).text((pad_h - left, pad_v), text, font=font, fill=fg)
    return img


def fit_height(img, height, max_width):
    """Resize to `height` keeping the aspect ratio (PaddleOCR style:
    width = ceil(height * w / h), capped at max_width)."""
    w, h = img.size
    new_w = min(max_width, max(1, int(math.ceil(height * w / float(h)))))
    return img.resize((new_w, height), LANCZOS)


def to_tensor(img, raw, norm="half"):
    """RGB PIL image -> float32 [1,3,H,W]."""
    x = np.asarray(img.convert("RGB"), dtype=np.uint8).astype(np.float32)  # HWC RGB
    if not raw:
        x = x[:, :, ::-1]  # RGB -> BGR
        if norm == "half":
            x = (x / np.float32(255.0) - np.float32(0.5)) / np.float32(0.5)
        elif norm == "imagenet":
            mean = np.array(IMAGENET_MEAN, dtype=np.float32)
            std = np.array(IMAGENET_STD, dtype=np.float32)
            x = (x / np.float32(255.0) - mean) / std
        else:
            raise RenderError("unknown normalization %r" % norm)
    x = np.ascontiguousarray(x.transpose(2, 0, 1)[np.newaxis], dtype=np.float32)
    return x


def save(path, array):
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    with open(path, "wb") as f:
        np.save(f, array, allow_pickle=False)


def line_tensor(text, width, args, font_spec=None, rotate180=False):
    """Text line -> float32 [1,3,48,width]: render, fit to height 48, pad right.

    args.pad == "bg": pad with the background color (white by default);
    args.pad == "gray": pad with mid-gray 127.5, i.e. exactly 0 after
    normalization, like PaddleOCR's own resize_norm_img (127.5 with --raw)."""
    crop = render_line_crop(text, font_spec or args.font, args.fg, args.bg)
    if rotate180:
        crop = crop.rotate(180)
    img = fit_height(crop, REC_HEIGHT, width)
    content = to_tensor(img, args.raw)
    if args.pad == "gray":
        fill = np.full((1, 3, 1, 1), 127.5 if args.raw else 0.0, dtype=np.float32)
    else:
        fill = to_tensor(Image.new("RGB", (1, 1), args.bg), args.raw)
    x = np.empty((1, 3, REC_HEIGHT, width), dtype=np.float32)
    x[...] = fill
    x[:, :, :, :content.shape[3]] = content
    return x


def natural_width(text, font_spec):
    """Width of the line when resized to height 48 (before capping)."""
    w, h = render_line_crop(text, font_spec, (0, 0, 0), (255, 255, 255)).size
    return int(math.ceil(REC_HEIGHT * w / float(h)))


# -------------------------------------------------------------- subcommands --

def cmd_rec(args):
    if args.width < 1:
        raise RenderError("--width must be positive")
    if natural_width(args.text, args.font) > args.width:
        print("render_text.py: warning: text is wider than %d at height %d; it will be squeezed"
              % (args.width, REC_HEIGHT), file=sys.stderr)
    x = line_tensor(args.text, args.width, args)
    save(args.out, x)
    print("%s: %s %s" % (args.out, x.dtype, list(x.shape)))


def cmd_cls(args):
    if natural_width(args.text, args.font) > CLS_WIDTH:
        print("render_text.py: warning: text is wider than %d at height %d; it will be squeezed"
              % (CLS_WIDTH, REC_HEIGHT), file=sys.stderr)
    x = line_tensor(args.text, CLS_WIDTH, args, rotate180=args.rotate180)
    save(args.out, x)
    print("%s: %s %s%s" % (args.out, x.dtype, list(x.shape), " (rotated 180)" if args.rotate180 else ""))


DET_DEFAULT_LINES = ["moir inference engine", "Hello OCR 2026", "detect these words", "PaddleOCR v4"]
DET_SIZES = (0.070, 0.048, 0.085, 0.056, 0.040, 0.064)   # font size / page size
DET_X = (0.06, 0.20, 0.10, 0.32, 0.14, 0.08)             # left edge / page size


def cmd_det(args):
    size = args.size
    if size < 64:
        raise RenderError("--size must be at least 64")
    lines = args.lines or DET_DEFAULT_LINES
    page = Image.new("RGB", (size, size), args.bg)
    draw = ImageDraw.Draw(page)
    boxes = []
    y = int(round(0.07 * size))
    for i, text in enumerate(lines):
        if not text:
            raise RenderError("empty line %d" % i)
        x0 = int(round(DET_X[i % len(DET_X)] * size))
        fsize = max(8, int(round(DET_SIZES[i % len(DET_SIZES)] * size)))
        # Shrink until the line fits the page width (with a right margin).
        while True:
            font = load_font(args.font, fsize)
            l, t, r, b = draw.textbbox((x0, y), text, font=font)
            if r <= size - int(0.04 * size) or fsize <= 8:
                break
            if x0 > int(0.04 * size):
                x0 = int(0.04 * size)
            else:
                fsize -= 1
        if r > size or b > size - int(0.03 * size):
            raise RenderError("line %d (%r) does not fit on a %dx%d page; use fewer/shorter lines"
                              % (i, text, size, size))
        draw.text((x0, y), text, font=font, fill=args.fg)
        boxes.append({"text": text, "font_size": fsize, "box": [l, t, r, b]})
        ascent, descent = font.getmetrics()
        y += ascent + descent + int(round(0.06 * size))
    x = to_tensor(page, args.raw, norm=args.norm)
    save(args.out, x)
    if args.boxes:
        with open(args.boxes, "w", encoding="utf-8") as f:
            f.write('{"size": %d, "lines": [\n' % size)
            f.write(",\n".join("  " + json.dumps(b, ensure_ascii=False) for b in boxes))
            f.write("\n]}\n")
    print("%s: %s %s, %d lines" % (args.out, x.dtype, list(x.shape), len(lines)))


def random_line(rng, width, font_spec):
    nwords = rng.randint(1, 4)
    words = []
    for _ in range(nwords):
        kind = rng.random()
        if kind < 0.2:
            words.append(str(rng.randint(0, 99999)))
        else:
            w = rng.choice(VOCAB)
            if rng.random() < 0.15:
                w = w.capitalize()
            words.append(w)
    # Drop words until the line fits the width without squeezing.
    while len(words) > 1 and natural_width(" ".join(words), font_spec) > width:
        words.pop()
    text = " ".join(words)
    while natural_width(text, font_spec) > width and len(text) > 1:
        text = text[:-1]
    return text


PUNCT_AFTER = ",.;:!?"
# No backquote pairs: the FP32 model itself reads `word` as ^word` or ~word (onnxruntime too).
PUNCT_WRAP = ("()", "[]", "{}", "<>", "''", '""')
SYMBOLS = "+-=*/\\|_~^#@&%$"


def mixed_token(rng):
    """One token of the 'mixed' character set: words in three cases, numbers
    in common formats, punctuation and symbols (printable ASCII but the
    backquote; every character of which is in ppocr_keys_v1.txt)."""
    kind = rng.random()
    if kind < 0.45:
        w = rng.choice(VOCAB)
        case = rng.random()
        w = w.capitalize() if case < 0.25 else w.upper() if case < 0.35 else w
    elif kind < 0.70:
        fmt = rng.randrange(7)
        n = rng.randint(0, 9999)
        w = [str(n), "%d.%02d" % (n, rng.randint(0, 99)), "{:,}".format(n * 37), "%d%%" % (n % 101),
             "$%d.%02d" % (n % 500, rng.randint(0, 99)),
             "20%02d-%02d-%02d" % (rng.randint(0, 30), rng.randint(1, 12), rng.randint(1, 28)),
             "%02d:%02d" % (rng.randint(0, 23), rng.randint(0, 59))][fmt]
    elif kind < 0.85:
        a, b = rng.choice(VOCAB), rng.choice(VOCAB)
        w = a + rng.choice(SYMBOLS) + (b if rng.random() < 0.5 else str(rng.randint(0, 99)))
    else:
        pair = rng.choice(PUNCT_WRAP)
        w = pair[0] + rng.choice(VOCAB) + pair[1]
    if rng.random() < 0.2:
        w += rng.choice(PUNCT_AFTER)
    return w


def random_mixed_line(rng, width, font_spec):
    words = [mixed_token(rng) for _ in range(rng.randint(1, 5))]
    while len(words) > 1 and natural_width(" ".join(words), font_spec) > width:
        words.pop()
    text = " ".join(words)
    while natural_width(text, font_spec) > width and len(text) > 1:
        text = text[:-1]
    return text.strip() or "x"


def cmd_lines(args):
    if args.count < 1:
        raise RenderError("--count must be positive")
    rng = random.Random(args.seed)
    fonts = [args.font] if args.font else ["dejavu", "liberation"]
    os.makedirs(args.out_dir, exist_ok=True)
    labels = []
    for i in range(args.count):
        font_spec = fonts[rng.randrange(len(fonts))]
        text = (random_mixed_line if args.charset == "mixed" else random_line)(rng, args.width, font_spec)
        name = "line_%04d" % i
        turn = args.rotate_odd and i % 2 == 1
        save(os.path.join(args.out_dir, name + ".npy"), line_tensor(text, args.width, args, font_spec, rotate180=turn))
        if args.rotate_odd:
            labels.append("%s\t%s\t%d\n" % (name, text, 180 if turn else 0))
        else:
            labels.append("%s\t%s\n" % (name, text))
    with open(os.path.join(args.out_dir, "labels.txt"), "w", encoding="utf-8", newline="\n") as f:
        f.writelines(labels)
    print("%s: %d lines [1,3,%d,%d] + labels.txt" % (args.out_dir, args.count, REC_HEIGHT, args.width))


# --------------------------------------------------------------------- main --

def build_parser():
    p = argparse.ArgumentParser(
        prog="render_text.py",
        description=__doc__.split("\n\n")[0],
        epilog="Run '/usr/bin/python3 tools/render_text.py SUBCOMMAND --help' for details. " 
               "Fonts: " + ", ".join("%s=%s" % kv for kv in sorted(FONTS.items())),
    )
    sub = p.add_subparsers(dest="cmd", metavar="SUBCOMMAND")
    sub.required = True

    def common(sp, font_default="dejavu", pad="bg"):
        sp.add_argument("--font", default=font_default,
                        help="font name (%s) or .ttf path (default: %s)"
                        % (", ".join(sorted(FONTS)), font_default or "alternate dejavu/liberation"))
        sp.add_argument("--raw", action="store_true",
                        help="save the RGB uint8 image as float32 0..255, no BGR swap, no normalization")
        sp.add_argument("--fg", type=parse_color, default=(0, 0, 0), metavar="R,G,B",
                        help="text color (default 0,0,0)")
        sp.add_argument("--bg", type=parse_color, default=(255, 255, 255), metavar="R,G,B",
                        help="background color (default 255,255,255)")
        if pad:
            sp.add_argument("--pad", choices=("bg", "gray"), default=pad,
                            help="right padding up to the width: bg = background color (white); "
                                 "gray = 127.5, i.e. 0 after normalization, as PaddleOCR's own "
                                 "preprocessing pads (default %s)" % pad)

    sp = sub.add_parser("rec", help="text line for the recognition model: [1,3,48,W]",
                        description="Render a text line, fit it to height 48 keeping the aspect ratio, "
                                    "pad right with the background up to W, BGR, (x/255-0.5)/0.5.")
    sp.add_argument("--text", required=True)
    sp.add_argument("--width", type=int, default=320, help="W (default 320)")
    sp.add_argument("--out", required=True, help="output .npy")
    common(sp)
    sp.set_defaults(func=cmd_rec)

    sp = sub.add_parser("cls", help="text line for the direction classifier: [1,3,48,192]",
                        description="Like rec at 48x192; --rotate180 turns the text upside down.")
    sp.add_argument("--text", required=True)
    sp.add_argument("--rotate180", action="store_true", help="rotate the text crop by 180 degrees")
    sp.add_argument("--out", required=True, help="output .npy")
    common(sp)
    sp.set_defaults(func=cmd_cls)

    sp = sub.add_parser("det", help="page of text for the detection model: [1,3,S,S]",
                        description="Render lines of text at different sizes and positions on a "
                                    "SxS page; BGR, normalized like PaddleOCR's DB detector "
                                    "((x/255-mean)/std with ImageNet mean/std) unless --norm half.")
    sp.add_argument("--lines", nargs="+", metavar="TEXT",
                    help="text lines (default: %s)" % " | ".join(DET_DEFAULT_LINES))
    sp.add_argument("--size", type=int, default=640, help="S (default 640)")
    sp.add_argument("--norm", choices=("imagenet", "half"), default="imagenet",
                    help="imagenet: (x/255-[.485,.456,.406])/[.229,.224,.225] per B,G,R channel "
                         "(PaddleOCR det); half: (x/255-0.5)/0.5 (default imagenet)")
    sp.add_argument("--boxes", metavar="FILE.json", help="also write the line bounding boxes as JSON")
    sp.add_argument("--out", required=True, help="output .npy")
    common(sp, pad=None)
    sp.set_defaults(func=cmd_det)

    sp = sub.add_parser("lines", help="N random labelled lines (rec inputs) for accuracy harnesses",
                        description="Write D/line_XXXX.npy (rec preprocessing, [1,3,48,W], but "
                                    "padded with gray 127.5 = 0 after normalization unless --pad bg) "
                                    "and D/labels.txt ('line_XXXX<TAB>text'). Each line uses DejaVu Sans or "
                                    "Liberation Sans (random per line) unless --font. Deterministic for a seed.")
    sp.add_argument("--count", type=int, required=True, help="number of lines N")
    sp.add_argument("--seed", type=int, default=0, help="random seed S (default 0)")
    sp.add_argument("--width", type=int, default=320, help="W (default 320)")
    sp.add_argument("--out_dir", required=True, help="output directory D")
    sp.add_argument("--charset", choices=("words", "mixed"), default="words",
                    help="words: lower-case words, some capitalized, and integers; mixed: also upper-case "
                         "words, numbers with . , %% $ - :, symbols and brackets (printable ASCII but "
                         "the backquote, all in the model's dictionary; Debian's DejaVu/Liberation fonts have no "
                         "CJK glyphs) (default words)")
    sp.add_argument("--rotate_odd", action="store_true",
                    help="direction-classifier sets: turn every odd-numbered line by 180 degrees and add a "
                         "third column to labels.txt, 0 or 180 (use with --width 192 for cls inputs)")
    # Gray padding by default: with white padding the rec model tends to
    # append spurious trailing characters (62/100 exact vs 100/100).
    common(sp, font_default=None, pad="gray")
    sp.set_defaults(func=cmd_lines)
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (RenderError, OSError) as e:
        print("render_text.py: error: %s" % e, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

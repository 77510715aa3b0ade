#!/usr/bin/env python3
"""Writes the inputs of examples/embedded as raw little-endian float32 files (what a device would
have in its camera buffer after preprocessing):

  text.f32  1x3x48x192: a line of text rendered with DejaVu Sans, preprocessed as PaddleOCR's
            direction classifier expects ((x / 255 - 0.5) / 0.5, resized to height 48, padded right)
  face.f32  1x128x128x3: a portrait from @vladmandic/human's sample sheet, as BlazeFace expects
            (NHWC, x / 127.5 - 1)

usage: /usr/bin/python3 examples/embedded/prepare.py NPM_DIR OUT_DIR
"""
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFont


def text_line(text):
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 36)
    box = font.getbbox(text)
    img = Image.new("RGB", (box[2] + 16, 48), "white")
    ImageDraw.Draw(img).text((8, 24), text, fill="black", font=font, anchor="lm")
    w = min(192, round(img.width * 48 / img.height))
    img = img.resize((w, 48), Image.BILINEAR)
    x = (np.asarray(img, np.float32) / 255.0 - 0.5) / 0.5  # HWC
    out = np.zeros((1, 3, 48, 192), np.float32)
    out[0, :, :, :w] = x.transpose(2, 0, 1)
    return out


def face(npm):
    sheet = Image.open(os.path.join(npm, "@vladmandic", "human", "assets", "samples.jpg")).convert("RGB")
    img = sheet.crop((160, 0, 316, 156)).resize((128, 128), Image.BILINEAR)
    return (np.asarray(img, np.float32) / 127.5 - 1.0)[None]  # 1x128x128x3


def main():
    npm, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    text_line("moir runs on the edge").astype("<f4").tofile(os.path.join(out, "text.f32"))
    face(npm).astype("<f4").tofile(os.path.join(out, "face.f32"))


if __name__ == "__main__":
    main()

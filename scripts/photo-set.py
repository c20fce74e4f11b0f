#!/usr/bin/env python3
"""Builds the profile-photo evaluation set for `quytac eval --task photos` (CS-2).

The set is rebuilt from files that installed packages ship, plus images this script draws; no
image is downloaded and none is copied into the repository:

- scikit-image's `skimage/data`: astronaut.png (Eileen Collins, a real portrait), camera.png (a
  man seen in profile behind a camera), lfw_subset.npy (100 face crops of 25×25 pixels from
  Labeled Faces in the Wild and 100 non-face patches), and objects, animals, textures, text and
  a logo;
- the `rustface` crate's package (its `test.png`, the 1927 Solvay conference group photograph,
  with the faces boxed in red), when cargo has unpacked it under $CARGO_HOME/registry/src:
  one crop per boxed face (red lines painted out), and group crops;
- synthetic images: flat colours, gradients, noise, drawn logos and emblems (some with
  transparency), cartoon faces, cartoon-filtered photos, group composites of two or three face
  crops, and tiny faces pasted into large scenes.

Usage:
    python3 -m venv /tmp/photoenv && /tmp/photoenv/bin/pip install scikit-image pillow numpy
    /tmp/photoenv/bin/python scripts/photo-set.py [OUT_DIR]      # default: target/photo-set
    cargo run --release -p quytac -- eval --task photos --data target/photo-set

OUT_DIR gets `images/` and `labels.csv` (file,one_face,kind): `one_face` is 1 when the picture
is a photograph of exactly one real person's face, large enough to identify them, and 0
otherwise. Everything is deterministic (fixed seeds).
"""

import csv
import glob
import os
import sys

import numpy as np
import skimage
from PIL import Image, ImageDraw, ImageFilter, ImageOps

DATA = os.path.join(os.path.dirname(skimage.__file__), "data")
OUT = sys.argv[1] if len(sys.argv) > 1 else "target/photo-set"
IMAGES = os.path.join(OUT, "images")
rng = np.random.RandomState(20241)
rows = []
os.makedirs(IMAGES, exist_ok=True)


def save(img, name, one_face, kind, fmt="png", quality=90):
    path = os.path.join(IMAGES, f"{name}.{fmt}")
    if fmt == "jpg":
        img.convert("RGB").save(path, "JPEG", quality=quality)
    elif fmt == "webp":
        img.save(path, "WEBP", quality=quality)
    else:
        img.save(path, "PNG")
    rows.append((f"images/{name}.{fmt}", 1 if one_face else 0, kind))


def sk(name):
    return Image.open(os.path.join(DATA, name))


# --- Real single faces -------------------------------------------------------------------

astro = sk("astronaut.png").convert("RGB")
# The face is about (175, 65)–(275, 165).
save(astro, "astronaut-full", True, "face/astronaut")
for i, (cx, cy, side) in enumerate(
    [(225, 120, 200), (225, 125, 260), (220, 140, 320), (230, 150, 400), (225, 115, 180), (240, 160, 360)]
):
    crop = astro.crop((cx - side // 2, max(0, cy - side // 2), cx + side // 2, max(0, cy - side // 2) + side))
    save(crop, f"astronaut-crop{i}", True, "face/astronaut")
portrait = astro.crop((125, 20, 325, 220))
save(portrait.resize((400, 400), Image.BICUBIC), "astronaut-400", True, "face/astronaut")
save(portrait.resize((120, 120), Image.LANCZOS), "astronaut-120", True, "face/astronaut")
save(ImageOps.mirror(portrait), "astronaut-mirror", True, "face/astronaut")
save(ImageOps.grayscale(portrait), "astronaut-grey", True, "face/astronaut")
save(portrait, "astronaut-q35", True, "face/astronaut", fmt="jpg", quality=35)
save(portrait, "astronaut-webp", True, "face/astronaut", fmt="webp", quality=80)
save(Image.eval(portrait, lambda v: min(255, int(v * 1.3))), "astronaut-bright", True, "face/astronaut")
save(Image.eval(portrait, lambda v: int(v * 0.6)), "astronaut-dark", True, "face/astronaut", fmt="jpg")
save(portrait.rotate(8, resample=Image.BICUBIC, fillcolor=(200, 200, 200)), "astronaut-tilt", True, "face/astronaut")
save(portrait.filter(ImageFilter.GaussianBlur(1.5)), "astronaut-soft", True, "face/astronaut")

cam = sk("camera.png").convert("RGB")
save(cam, "camera-full", True, "face/camera-profile")
save(cam.crop((120, 40, 370, 290)), "camera-head", True, "face/camera-profile")


def lfw_face(i, size=150, border=45, fmt="png"):
    arr = np.load(os.path.join(DATA, "lfw_subset.npy"))[i]
    img = Image.fromarray((arr * 255).astype("uint8")).resize((size, size), Image.BICUBIC)
    edge = int(np.mean(np.concatenate([arr[0], arr[-1], arr[:, 0], arr[:, -1]])) * 255)
    out = Image.new("L", (size + 2 * border, size + 2 * border), edge)
    out.paste(img, (border, border))
    return out.convert("RGB")


lfw = np.load(os.path.join(DATA, "lfw_subset.npy"))
for i in range(100):
    size = [120, 150, 180][i % 3]
    fmt = ["png", "jpg", "webp", "png"][i % 4]
    save(lfw_face(i, size, size // 3), f"lfw-face{i:03}", True, "face/lfw", fmt=fmt)

# --- The rustface package's group photograph --------------------------------------------


def rustface_photo():
    home = os.environ.get("CARGO_HOME") or os.path.expanduser("~/.cargo")
    found = sorted(glob.glob(os.path.join(home, "registry/src/*/rustface-*/test.png")))
    return Image.open(found[-1]).convert("RGB") if found else None


def red_boxes(img):
    """The red face boxes drawn on the photograph, as (x0, y0, x1, y1), and the image with the
    red lines painted out (each red pixel takes the mean grey of its nearest non-red pixels)."""
    a = np.asarray(img).astype(int)
    red = (a[:, :, 0] > 180) & (a[:, :, 1] < 80) & (a[:, :, 2] < 80)
    boxes, seen = [], np.zeros_like(red)
    ys, xs = np.nonzero(red)
    for y, x in zip(ys, xs):
        if seen[y, x]:
            continue
        stack, pts = [(y, x)], []
        seen[y, x] = True
        while stack:
            cy, cx = stack.pop()
            pts.append((cy, cx))
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = cy + dy, cx + dx
                    if 0 <= ny < red.shape[0] and 0 <= nx < red.shape[1] and red[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        stack.append((ny, nx))
        p = np.array(pts)
        y0, x0 = p.min(0)
        y1, x1 = p.max(0)
        # One box, not two that touch: about square.
        w, h = x1 - x0, y1 - y0
        if 25 <= w <= 120 and 25 <= h <= 120 and 0.85 <= w / h <= 1.18:
            boxes.append((int(x0), int(y0), int(x1), int(y1)))
    grey = a.mean(axis=2)
    for y, x in zip(ys, xs):
        near = [grey[y + dy, x + dx] for dy, dx in ((0, 2), (0, -2), (2, 0), (-2, 0), (0, 3), (0, -3), (3, 0), (-3, 0))
                if 0 <= y + dy < grey.shape[0] and 0 <= x + dx < grey.shape[1] and not red[y + dy, x + dx]]
        if near:
            grey[y, x] = np.mean(near)
    clean = Image.fromarray(grey.clip(0, 255).astype("uint8")).convert("RGB")
    return sorted(boxes, key=lambda b: (b[1] // 60, b[0])), clean


solvay = rustface_photo()
if solvay is not None:
    boxes, clean = red_boxes(solvay)
    for i, (x0, y0, x1, y1) in enumerate(boxes):
        w = x1 - x0
        cx, cy = (x0 + x1) // 2, (y0 + y1) // 2 + w // 6
        half = int(w * 0.85)
        crop = clean.crop((cx - half, cy - half, cx + half, cy + half)).resize((240, 240), Image.BICUBIC)
        save(crop, f"solvay-face{i:02}", True, "face/solvay", fmt="jpg" if i % 2 else "png")
    save(clean.crop((0, 0, 1666, 700)).resize((833, 350)), "solvay-group", False, "group/solvay")
    for i, (x, y) in enumerate([(180, 150), (600, 180), (1000, 120)]):
        save(clean.crop((x, y, x + 420, y + 300)), f"solvay-cluster{i}", False, "group/solvay")

# --- Group photos: two or three faces side by side --------------------------------------

astro_face = astro.crop((135, 30, 315, 210)).resize((200, 200))
for i in range(12):
    a, b = rng.randint(0, 100, size=2)
    left = lfw_face(int(a), 150, 25).resize((200, 200))
    right = astro_face if i % 4 == 0 else lfw_face(int(b), 150, 25).resize((200, 200))
    pair = Image.new("RGB", (420, 220), (230, 230, 225))
    pair.paste(left, (5, 10))
    pair.paste(right, (215, 10))
    save(pair, f"group-pair{i:02}", False, "group/composite", fmt="jpg" if i % 2 else "png")
for i in range(6):
    trio = Image.new("RGB", (630, 230), (210, 215, 220))
    for k, j in enumerate(rng.randint(0, 100, size=3)):
        trio.paste(lfw_face(int(j), 150, 25).resize((200, 200)), (10 + 210 * k, 15))
    save(trio, f"group-trio{i}", False, "group/composite")

# --- Faces too small: a tiny portrait in a large scene ----------------------------------

scenes = [sk("coffee.png").convert("RGB").resize((600, 400)), sk("grass.png").convert("RGB"),
          sk("brick.png").convert("RGB"), sk("motorcycle_left.png").convert("RGB")]
for i, scene in enumerate(scenes):
    s = scene.copy()
    s.paste(astro_face.resize((40, 40)), (30 + 50 * i, 30 + 20 * i))
    save(s, f"small-face{i}", False, "small-face")

# --- Real photographs without a face ----------------------------------------------------

for name in ["coffee.png", "chelsea.png", "rocket.jpg", "brick.png", "grass.png", "gravel.png",
             "moon.png", "hubble_deep_field.jpg", "coins.png", "motorcycle_left.png",
             "retina.jpg", "cell.png", "ihc.png", "clock_motion.png", "microaneurysms.png"]:
    save(sk(name).convert("RGB"), "scene-" + name.split(".")[0], False, "no-face/scene",
         fmt="jpg" if name.endswith(".jpg") else "png")
save(sk("chelsea.png").convert("RGB").crop((60, 20, 310, 270)), "scene-chelsea-face", False, "no-face/animal")
save(astro.crop((300, 0, 512, 300)), "scene-astronaut-shuttle", False, "no-face/scene")
save(astro.crop((270, 330, 512, 512)), "scene-astronaut-helmet", False, "no-face/scene")
save(astro.crop((0, 0, 140, 300)), "scene-astronaut-flag", False, "no-face/scene")
for i in range(100, 200):
    if i % 2:
        continue
    arr = lfw[i]
    img = Image.fromarray((arr * 255).astype("uint8")).resize((200, 200), Image.BICUBIC)
    save(img.convert("RGB"), f"lfw-patch{i:03}", False, "no-face/lfw-patch", fmt="jpg" if i % 4 else "png")

# --- Text, logos, drawings --------------------------------------------------------------

save(sk("text.png").convert("RGB"), "text-skimage", False, "logo/text")
save(sk("page.png").convert("RGB"), "text-page", False, "logo/text")
save(sk("logo.png"), "logo-skimage", False, "logo/skimage")
save(sk("logo.png").convert("RGB"), "logo-skimage-flat", False, "logo/skimage", fmt="jpg")
save(sk("horse.png"), "logo-horse", False, "logo/silhouette")
save(sk("color.png").convert("RGB"), "logo-colourwheel", False, "logo/drawing")
save(sk("chessboard_RGB.png").convert("RGB"), "logo-chessboard", False, "logo/drawing")
save(sk("phantom.png").convert("RGB"), "logo-phantom", False, "logo/drawing")

PALETTE = [(218, 37, 29), (255, 205, 0), (0, 82, 147), (0, 122, 61), (30, 30, 30), (245, 245, 245),
           (120, 40, 140), (250, 130, 0)]


def star(draw, cx, cy, r, fill):
    pts = []
    for k in range(10):
        ang = -np.pi / 2 + k * np.pi / 5
        rr = r if k % 2 == 0 else r * 0.4
        pts.append((cx + rr * np.cos(ang), cy + rr * np.sin(ang)))
    draw.polygon(pts, fill=fill)


for i in range(12):
    size = 400
    transparent = i % 3 == 0
    img = Image.new("RGBA", (size, size), (0, 0, 0, 0) if transparent else PALETTE[5 - (i % 2)] + (255,))
    d = ImageDraw.Draw(img)
    c1, c2, c3 = (PALETTE[j % len(PALETTE)] for j in (i, i + 2, i + 5))
    if i % 4 == 0:
        d.ellipse((40, 40, 360, 360), fill=c1)
        star(d, 200, 205, 120, c2)
    elif i % 4 == 1:
        d.rectangle((50, 80, 350, 320), fill=c1)
        d.rectangle((90, 120, 310, 170), fill=c2)
        d.rectangle((90, 200, 250, 240), fill=c3)
        d.text((100, 260), "UBND PHUONG", fill=c2)
    elif i % 4 == 2:
        d.ellipse((60, 60, 340, 340), outline=c1, width=24)
        d.polygon([(200, 90), (300, 300), (100, 300)], fill=c2)
        d.text((150, 320), "SO TT&TT", fill=c1)
    else:
        for k in range(5):
            d.rectangle((40 + 64 * k, 300 - 45 * k, 90 + 64 * k, 330), fill=PALETTE[(i + k) % 8])
        d.text((60, 40), "CONG THONG TIN", fill=c1)
    fmt = "png" if transparent or i % 2 == 0 else "jpg"
    save(img if fmt == "png" else img.convert("RGB"), f"logo-drawn{i:02}", False, "logo/drawn", fmt=fmt)

SKIN = [(255, 220, 185), (241, 194, 125), (224, 172, 105), (198, 134, 66), (255, 205, 180)]
HAIR = [(40, 30, 20), (90, 60, 30), (20, 20, 20), (200, 160, 60), (120, 20, 20)]
for i in range(16):
    w = h = 360
    bg = PALETTE[(i * 3) % 8] if i % 2 else (200 + i * 3, 230, 250)
    img = Image.new("RGB", (w, h), bg)
    d = ImageDraw.Draw(img)
    skin, hair = SKIN[i % 5], HAIR[(i * 2) % 5]
    outline = (0, 0, 0) if i % 3 == 0 else None
    d.rectangle((90, 280, 270, 360), fill=PALETTE[(i + 2) % 8], outline=outline, width=3)
    d.ellipse((95, 55, 265, 215), fill=hair)
    d.ellipse((105, 80, 255, 270), fill=skin, outline=outline, width=3)
    d.chord((100, 60, 260, 170), 180, 360, fill=hair)
    ey = 150 + (i % 4) * 4
    for ex in (145, 215):
        if i % 4 == 1:
            d.arc((ex - 15, ey - 8, ex + 15, ey + 12), 200, 340, fill=(0, 0, 0), width=4)
        else:
            d.ellipse((ex - 14, ey - 10, ex + 14, ey + 10), fill=(255, 255, 255), outline=(0, 0, 0), width=2)
            d.ellipse((ex - 6, ey - 6, ex + 6, ey + 6), fill=(30, 30, 60))
        d.line((ex - 16, ey - 22, ex + 14, ey - 25), fill=hair, width=5)
    d.line((180, 165, 172, 205, 186, 207), fill=(150, 90, 60), width=3)
    d.arc((145, 200, 215, 245), 15, 165, fill=(180, 40, 60), width=5)
    if i % 5 == 2:
        d.ellipse((125, 200, 150, 215), fill=(250, 150, 150))
        d.ellipse((210, 200, 235, 215), fill=(250, 150, 150))
    save(img, f"cartoon-face{i:02}", False, "cartoon/drawn", fmt="jpg" if i % 3 == 1 else "png")

for i, k in enumerate([6, 8, 12]):
    toon = portrait.filter(ImageFilter.MedianFilter(7)).quantize(colors=k, method=Image.MEDIANCUT).convert("RGB")
    edges = portrait.convert("L").filter(ImageFilter.FIND_EDGES).point(lambda v: 0 if v > 40 else 255)
    toon = Image.composite(toon, Image.new("RGB", toon.size, (0, 0, 0)), edges)
    save(toon, f"cartoon-filtered{i}", False, "cartoon/filtered")

# --- Flat colours, gradients, noise -----------------------------------------------------

for i, c in enumerate(PALETTE + [(128, 128, 128), (0, 0, 0)]):
    save(Image.new("RGB", (300 + 20 * i, 300), c), f"flat{i:02}", False, "blank/flat",
         fmt=["png", "jpg", "webp"][i % 3])
for i in range(8):
    w, h = 400, 300 + 25 * i
    x = np.linspace(0, 1, w)[None, :]
    y = np.linspace(0, 1, h)[:, None]
    if i % 2:
        t = np.sqrt((x - 0.5) ** 2 + (y - 0.5) ** 2) * 1.4
    else:
        t = (x * np.cos(i) + y * np.sin(i)) / (abs(np.cos(i)) + abs(np.sin(i)))
    a, b = np.array(PALETTE[i % 8]), np.array(PALETTE[(i + 3) % 8])
    arr = (a[None, None, :] * (1 - t[..., None]) + b[None, None, :] * t[..., None]).clip(0, 255)
    save(Image.fromarray(arr.astype("uint8")), f"gradient{i}", False, "blank/gradient",
         fmt="jpg" if i % 2 else "png")
for i in range(4):
    arr = rng.randint(0, 256, size=(256, 256, 3)) if i < 2 else rng.normal(128, 6, size=(256, 256, 3))
    save(Image.fromarray(arr.clip(0, 255).astype("uint8")), f"noise{i}", False, "blank/noise")

with open(os.path.join(OUT, "labels.csv"), "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["file", "one_face", "kind"])
    w.writerows(rows)
pos = sum(r[1] for r in rows)
print(f"{len(rows)} images ({pos} with one face, {len(rows) - pos} without) in {OUT}")

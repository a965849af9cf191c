"""Example data in the forms users bring, generated (never downloaded): what the custom-recipe
template runs on as shipped, and what the tests bring their own data with."""

from pathlib import Path

import numpy as np

from prunegate.atomic import write_atomic

TIERS = ["bronze", "silver", "gold", "platinum"]


def write_example_csv(path: str | Path, rows: int = 3000, seed: int = 0) -> Path:
    """A table of 16 numeric features and a ``label`` column naming one of 4 classes,
    balanced and learnable (sklearn's make_classification)."""
    import pandas as pd
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=rows, n_features=16, n_informative=8, n_classes=4,
                               class_sep=1.5, random_state=seed)
    frame = pd.DataFrame(x.astype(np.float32), columns=[f"f{i}" for i in range(16)])
    frame["label"] = np.asarray(TIERS)[y]
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, lambda tmp: frame.to_csv(tmp, index=False))
    return path


def write_example_images(root: str | Path, per_class: int = 60, size: int = 16,
                         seed: int = 0) -> Path:
    """``root/<shape>/*.png``: a filled square, a horizontal bar or a vertical bar, at random
    places and sizes on a noisy grey background."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    root = Path(root)
    for shape in ("hbar", "square", "vbar"):
        (root / shape).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            image = Image.new("L", (size, size), int(rng.integers(0, 60)))
            draw = ImageDraw.Draw(image)
            r = int(rng.integers(size // 5, size // 3))
            cx, cy = (int(c) for c in rng.integers(r, size - r, 2))
            box = (cx - r, cy - r, cx + r, cy + r)
            if shape == "square":
                draw.rectangle(box, fill=255)
            elif shape == "hbar":
                draw.line((0, cy, size, cy), fill=255, width=2)
            else:
                draw.line((cx, 0, cx, size), fill=255, width=2)
            noise = rng.integers(0, 40, (size, size))
            pixels = np.clip(np.asarray(image, dtype=np.int16) + noise, 0, 255).astype(np.uint8)
            Image.fromarray(pixels, "L").save(root / shape / f"{i}.png")
    return root

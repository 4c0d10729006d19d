"""Generated test media. No Django imports: the benchmarks use this too."""

from __future__ import annotations

import random

from PIL import Image


def photo_like(width: int, height: int, seed: int = 0) -> Image.Image:
    """Smooth gradients plus mild noise: compresses like a photo, unlike pure noise."""
    rng = random.Random(seed)
    base = Image.linear_gradient("L").resize((width, height))
    r = base.rotate(rng.randint(0, 359)).resize((width, height))
    g = Image.radial_gradient("L").resize((width, height))
    b = base.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    image = Image.merge("RGB", (r, g, b))
    noise = Image.effect_noise((width, height), 12).convert("RGB")
    return Image.blend(image, noise, 0.08)

"""The demo brand's product catalogue: an underwear / loungewear label.

Every SKU is one (category, material, style) combination, so tags built later from what people bought
(冰丝 vs 棉, 基础款 vs 主题款, category) have a clean ground truth.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from siyu.demo.text import money, timestamps

# (code, Chinese name, list price of the basic cotton-ish version, share of lines)
CATEGORIES: list[tuple[str, str, float, float]] = [
    ("BRA", "文胸", 159.0, 0.28),
    ("PNT", "内裤3条装", 59.0, 0.30),
    ("LNG", "家居服", 259.0, 0.12),
    ("SCK", "袜子5双装", 39.0, 0.12),
    ("CAM", "背心", 99.0, 0.10),
    ("PJM", "睡衣套装", 329.0, 0.08),
]
CATEGORY_NAMES = ["bra", "panties", "loungewear", "socks", "camisole", "pajamas"]
# (code, Chinese name, price factor, share of people who prefer it)
MATERIALS: list[tuple[str, str, float, float]] = [
    ("IS", "冰丝", 1.0, 0.35),
    ("CT", "棉", 0.9, 0.35),
    ("MD", "莫代尔", 1.1, 0.22),
    ("SK", "真丝", 2.2, 0.08),
]
STYLES: list[tuple[str, str, float, float]] = [
    ("B", "基础款", 1.0, 0.75),
    ("T", "主题款", 1.3, 0.25),
]


@dataclass(frozen=True)
class Catalogue:
    skus: list[str]
    names: list[str]
    category: list[str]
    material: list[str]
    style: list[str]
    price: np.ndarray

    def index(self, category: np.ndarray, material: np.ndarray, style: np.ndarray) -> np.ndarray:
        """The SKU index of each (category, material, style) triple of indices."""
        return (category * len(MATERIALS) + material) * len(STYLES) + style

    def table(self, start: dt.date) -> pa.Table:
        launched = np.linspace(-400, -30, len(self.skus))
        return pa.table({
            "sku": pa.array(self.skus), "product_name": pa.array(self.names),
            "category": pa.array(self.category), "material": pa.array(self.material),
            "style": pa.array(self.style), "list_price": money(self.price),
            "launched_at": timestamps(start, launched),
        })


def _charm(price: float) -> float:
    """Round a price to the retailer's …9 form."""
    return float(max(9, round(price / 10.0) * 10 - 1))


def build_catalogue() -> Catalogue:
    skus, names, cats, mats, styles, prices = [], [], [], [], [], []
    for c_code, c_name, base, _ in CATEGORIES:
        for m_code, m_name, m_factor, _ in MATERIALS:
            for s_code, s_name, s_factor, _ in STYLES:
                skus.append(f"SY-{c_code}-{m_code}{s_code}")
                names.append(f"{m_name}{c_name}{'' if s_code == 'B' else '·主题款'}")
                cats.append(c_name.rstrip("0123456789条双装套"))
                mats.append(m_name)
                styles.append(s_name)
                prices.append(_charm(base * m_factor * s_factor))
    return Catalogue(skus, names, cats, mats, styles, np.array(prices))

"""Navigation hand-off links; Chinese map apps want GCJ-02 (AMap) or BD-09 (Baidu)."""

from __future__ import annotations

from urllib.parse import quote

import prcoords


def to_gcj02(lon: float, lat: float) -> tuple[float, float]:
    c = prcoords.wgs_gcj((lat, lon))
    return round(c.lon, 6), round(c.lat, 6)


def to_bd09(lon: float, lat: float) -> tuple[float, float]:
    c = prcoords.wgs_bd((lat, lon))
    return round(c.lon, 6), round(c.lat, 6)


def nav_links(lon: float, lat: float, label: str) -> dict[str, str]:
    """``geo:`` in WGS-84, AMap in GCJ-02 and Baidu in BD-09, each for the same point."""
    glon, glat = to_gcj02(lon, lat)
    blon, blat = to_bd09(lon, lat)
    name = quote(label)
    return {
        "geo": f"geo:{lat:.6f},{lon:.6f}?q={lat:.6f},{lon:.6f}({name})",
        "amap": f"https://uri.amap.com/marker?position={glon},{glat}&name={name}&coordinate=gaode",
        "baidu": (
            f"baidumap://map/marker?location={blat},{blon}&title={name}"
            f"&coord_type=bd09ll&src=daiban"
        ),
        "gcj02": f"{glon},{glat}",
        "bd09": f"{blon},{blat}",
    }

"""Validators for Chinese personal data and coordinates, shared by schemas and services."""

from __future__ import annotations

import re
from datetime import date

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_MOBILE = re.compile(r"^1[3-9]\d{9}$")

# A generous box around mainland China, Hainan and the islands; WGS-84.
CHINA_LON = (73.0, 135.5)
CHINA_LAT = (3.5, 54.0)


def id_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_problem(value: str) -> str | None:
    """Why an 18-digit resident ID (GB 11643) is wrong, or None when it is valid."""
    if (
        len(value) != 18
        or not value[:17].isdigit()
        or not (value[17].isdigit() or value[17] in "Xx")
    ):
        return "必须是18位，前17位为数字 / must be 18 characters: 17 digits then a digit or X"
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "出生日期无效 / the birth date (characters 7-14) is not a real date"
    if id_check_char(value[:17]) != value[17].upper():
        return "校验码错误 / the check digit (last character) does not match"
    return None


def mobile_problem(value: str) -> str | None:
    if not _MOBILE.match(value):
        return "不是大陆手机号 / not a mainland mobile number (11 digits starting 13-19)"
    return None


def point_problem(lon: float, lat: float) -> str | None:
    if not (CHINA_LON[0] <= lon <= CHINA_LON[1] and CHINA_LAT[0] <= lat <= CHINA_LAT[1]):
        return "坐标不在中国境内 / the point is outside China (WGS-84 lon, lat)"
    return None

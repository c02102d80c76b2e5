"""The token in a rating link: signed, bound to one case and one occasion, short for an SMS.

Single use is not the token's job: a rating row per (case, occasion) is unique, so a second
answer with the same token is a 409 (一事一评).
"""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, Signer

from dispatch.errors import NotFound

SALT = "daiban-rating-v1"
# One letter per occasion keeps the link short (SMS variables are limited in length).
OCCASIONS = {"d": "delivery"}
OCCASION_CODES = {v: k for k, v in OCCASIONS.items()}


@dataclass(frozen=True)
class RatingClaim:
    case_id: int
    occasion: str


def _signer(secret: str) -> Signer:
    return Signer(secret, salt=SALT)


def make_token(secret: str, case_id: int, occasion: str = "delivery") -> str:
    """``<case id>-<occasion>.<signature>``: about 35 characters."""
    return _signer(secret).sign(f"{case_id}-{OCCASION_CODES[occasion]}").decode()


def read_token(secret: str, token: str) -> RatingClaim:
    """The case and occasion a token names; any forged or mangled token is the same 404."""
    try:
        value = _signer(secret).unsign(token.strip()).decode()
        case_part, occasion_code = value.split("-", 1)
        return RatingClaim(int(case_part), OCCASIONS[occasion_code])
    except (BadSignature, ValueError, KeyError, UnicodeDecodeError):
        raise NotFound("评价链接无效 / This rating link is not valid") from None


def rating_link(base_url: str, secret: str, case_id: int) -> str:
    """The link the delivery SMS carries: ``<DAIBAN_RATE_URL>/<token>``."""
    return f"{base_url.rstrip('/')}/{make_token(secret, case_id)}"

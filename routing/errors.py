"""Exceptions raised by the routing library."""

from __future__ import annotations

__all__ = ["InputError"]


class InputError(ValueError):
    """Bad input; the message starts with the JSON path of the offending value.

    Examples
    --------
    ``jobs[3].time_windows[0]: start 500 is after end 100``
    """

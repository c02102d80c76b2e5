"""KPIs computed from the data, per unit and period; JSON or an Excel workbook."""

from dispatch.api.kpis.resources import blp

__all__ = ["blp"]

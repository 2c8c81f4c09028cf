"""Money is integer pence everywhere; formatting is the only place it becomes pounds."""

from __future__ import annotations

CURRENCY = "GBP"


def format_pence(pence: int) -> str:
    """`-123456` -> `-£1,234.56`: the way a council statement prints an amount."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def split_evenly(total_pence: int, parts: int) -> list[int]:
    """Split into `parts` whole-pence amounts; the rounding pence go on the first part.

    Council Tax instalments are whole pounds-and-pence; billing authorities put the odd
    pence on the first instalment so the later ones are equal (Council Tax (Administration
    and Enforcement) Regulations 1992, Sch. 1 para 2).
    """
    if parts < 1:
        raise ValueError("parts must be at least 1")
    base, remainder = divmod(total_pence, parts)
    return [base + remainder] + [base] * (parts - 1)


def percent_of(pence: int, percent: int) -> int:
    """`percent`% of an amount, to the nearest penny (half up, as the charge itself is rounded)."""
    return (pence * percent + 50) // 100

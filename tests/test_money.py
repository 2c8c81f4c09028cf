"""Money is integer pence; worked examples for formatting and the even split."""

from __future__ import annotations

import pytest

from customer360.domain.money import format_pence, split_evenly


@pytest.mark.parametrize(
    ("pence", "expected"),
    [
        pytest.param(0, "£0.00", id="zero"),
        pytest.param(5, "£0.05", id="five-pence-keeps-leading-zero"),
        pytest.param(99, "£0.99", id="just-under-a-pound"),
        pytest.param(100, "£1.00", id="one-pound"),
        pytest.param(-5, "-£0.05", id="negative-pence-only"),
        # 123_456 pence = 1_234 pounds and 56 pence; the sign goes before the pound sign.
        pytest.param(-123_456, "-£1,234.56", id="negative-with-thousands"),
        # 100_000_000 pence = 1_000_000 pounds exactly.
        pytest.param(100_000_000, "£1,000,000.00", id="one-million-pounds"),
        # 218_431 pence = 2_184 pounds and 31 pence (a Band D charge).
        pytest.param(218_431, "£2,184.31", id="band-d"),
    ],
)
def test_format_pence(pence: int, expected: str) -> None:
    assert format_pence(pence) == expected


@pytest.mark.parametrize(
    ("total", "parts", "expected"),
    [
        # 145_678 // 10 = 14_567 remainder 8 -> the 8 rounding pence go on the first part:
        # 14_575 + 9 * 14_567 = 14_575 + 131_103 = 145_678.
        pytest.param(145_678, 10, [14_575] + [14_567] * 9, id="ten-parts-remainder-8"),
        # 218_431 // 12 = 18_202 remainder 7 -> 18_209 + 11 * 18_202 = 18_209 + 200_222 = 218_431.
        pytest.param(218_431, 12, [18_209] + [18_202] * 11, id="twelve-parts-remainder-7"),
        # 100 // 3 = 33 remainder 1 -> 34, 33, 33.
        pytest.param(100, 3, [34, 33, 33], id="pound-in-three"),
        # 2 // 3 = 0 remainder 2 -> every rounding penny is on the first part.
        pytest.param(2, 3, [2, 0, 0], id="fewer-pence-than-parts"),
        pytest.param(30_000, 10, [3_000] * 10, id="exact-division"),
        pytest.param(7, 1, [7], id="one-part"),
        pytest.param(0, 4, [0, 0, 0, 0], id="zero-total"),
    ],
)
def test_split_evenly(total: int, parts: int, expected: list[int]) -> None:
    result = split_evenly(total, parts)
    assert result == expected
    assert len(result) == parts
    assert sum(result) == total
    # The later parts are all equal; only the first can carry extra pence.
    assert len(set(result[1:])) <= 1


@pytest.mark.parametrize("parts", [0, -1], ids=["zero-parts", "negative-parts"])
def test_split_evenly_rejects_fewer_than_one_part(parts: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        split_evenly(1_000, parts)

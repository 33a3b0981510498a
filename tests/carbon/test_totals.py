"""CarbonTotals.add sums every field: the portfolio and the period sums rely on it."""

from __future__ import annotations

from core.carbon.totals import _SUMMED, CarbonTotals


def test_add_sums_every_field_and_category():
    one = CarbonTotals(**{name: float(i + 1) for i, name in enumerate(_SUMMED)}, kwh_by_category={"elevator": 2.0})
    two = CarbonTotals(**{name: 10.0 * (i + 1) for i, name in enumerate(_SUMMED)}, kwh_by_category={"elevator": 1.0, "pv": 3.0})
    total = CarbonTotals()
    total.add(one)
    total.add(two)
    for i, name in enumerate(_SUMMED):
        assert getattr(total, name) == 11.0 * (i + 1), name
    assert total.kwh_by_category == {"elevator": 3.0, "pv": 3.0}
    assert one.kwh_by_category == {"elevator": 2.0}  # the added totals are left alone

"""Severn Vale Water non-household tariffs (water supply only).

Charges are per supply point: a daily standing charge plus a volumetric rate per cubic metre.
Wastewater and surface water drainage are billed separately (see wastewater_tariffs.py).
Source: Charges Scheme 2025-26 and 2026-27 as approved by the Board.
"""

from __future__ import annotations

from datetime import date

TARIFFS = [
    # 2025-26 charges scheme
    {"tariff_code": "NHH-STD", "name": "Non-household standard", "standing_charge_gbp_per_day": 0.82,
     "volumetric_rate_gbp_per_m3": 1.55, "currency": "GBP", "valid_from": "2025-04-01"},
    {"tariff_code": "NHH-LV", "name": "Large volume user (over 50 Ml a year)", "standing_charge_gbp_per_day": 3.40,
     "volumetric_rate_gbp_per_m3": 1.21, "currency": "GBP", "valid_from": "2025-04-01"},
    {"tariff_code": "NHH-AGRI", "name": "Agricultural and horticultural", "standing_charge_gbp_per_day": 0.64,
     "volumetric_rate_gbp_per_m3": 1.48, "currency": "GBP", "valid_from": "2025-04-01"},
    {"tariff_code": "NHH-EDU", "name": "Schools and education", "standing_charge_gbp_per_day": 0.78,
     "volumetric_rate_gbp_per_m3": 1.52, "currency": "GBP", "valid_from": "2025-04-01"},
    {"tariff_code": "NHH-HC", "name": "Healthcare and care homes", "standing_charge_gbp_per_day": 0.95,
     "volumetric_rate_gbp_per_m3": 1.50, "currency": "GBP", "valid_from": "2025-04-01"},
    # 2026-27 charges scheme
    {"tariff_code": "NHH-STD", "name": "Non-household standard", "standing_charge_gbp_per_day": 0.86,
     "volumetric_rate_gbp_per_m3": 1.63, "currency": "GBP", "valid_from": "2026-04-01"},
    {"tariff_code": "NHH-LV", "name": "Large volume user (over 50 Ml a year)", "standing_charge_gbp_per_day": 3.57,
     "volumetric_rate_gbp_per_m3": 1.27, "currency": "GBP", "valid_from": "2026-04-01"},
    {"tariff_code": "NHH-AGRI", "name": "Agricultural and horticultural", "standing_charge_gbp_per_day": 0.67,
     "volumetric_rate_gbp_per_m3": 1.55, "currency": "GBP", "valid_from": "2026-04-01"},
    {"tariff_code": "NHH-EDU", "name": "Schools and education", "standing_charge_gbp_per_day": 0.82,
     "volumetric_rate_gbp_per_m3": 1.60, "currency": "GBP", "valid_from": "2026-04-01"},
    {"tariff_code": "NHH-HC", "name": "Healthcare and care homes", "standing_charge_gbp_per_day": 1.00,
     "volumetric_rate_gbp_per_m3": 1.58, "currency": "GBP", "valid_from": "2026-04-01"},
]


def find_tariff(code: str, on: date) -> dict:
    """Return the tariff with this code in force on the given date."""
    candidates = [t for t in TARIFFS if t["tariff_code"] == code and date.fromisoformat(t["valid_from"]) <= on]
    if not candidates:
        raise KeyError(f"no tariff {code} in force on {on}")
    return max(candidates, key=lambda t: t["valid_from"])


def annual_charge(code: str, cubic_metres: float, on: date) -> float:
    """Estimated annual water supply charge in GBP for a given annual consumption."""
    t = find_tariff(code, on)
    return round(365 * t["standing_charge_gbp_per_day"] + cubic_metres * t["volumetric_rate_gbp_per_m3"], 2)


if __name__ == "__main__":
    print(annual_charge("NHH-STD", 1200, date(2026, 5, 1)))

"""Carbon accounting: published emission factors, green instruments, and site and portfolio ledgers."""

from core.carbon.completeness import DEFAULT_INTERVAL_S, infer_interval
from core.carbon.factors import (
    EmissionFactor,
    FactorNotFound,
    FactorTable,
    diesel_factor,
    electricity_factor,
    gas_factor,
    load_factors,
    normalise_province,
    residual_mix_factor,
)
from core.carbon.instruments import INSTRUMENT_KINDS, KWH_PER_GEC, GreenInstrument, allocate
from core.carbon.ledger import PeriodCarbon, SiteCarbon, build_ledger, factor_year
from core.carbon.periods import GRANULARITIES, Period
from core.carbon.segments import SegmentData
from core.carbon.service import PortfolioCarbon, SiteInputs, portfolio_carbon, site_carbon
from core.carbon.totals import CarbonTotals, FactorUse

__all__ = [
    "DEFAULT_INTERVAL_S",
    "GRANULARITIES",
    "INSTRUMENT_KINDS",
    "KWH_PER_GEC",
    "CarbonTotals",
    "EmissionFactor",
    "FactorNotFound",
    "FactorTable",
    "FactorUse",
    "GreenInstrument",
    "Period",
    "PeriodCarbon",
    "PortfolioCarbon",
    "SiteCarbon",
    "SegmentData",
    "SiteInputs",
    "allocate",
    "build_ledger",
    "diesel_factor",
    "electricity_factor",
    "factor_year",
    "gas_factor",
    "infer_interval",
    "load_factors",
    "normalise_province",
    "portfolio_carbon",
    "residual_mix_factor",
    "site_carbon",
]

"""Carbon accounting: published emission factors and a site's emissions ledger."""

from core.carbon.factors import (
    EmissionFactor,
    FactorNotFound,
    FactorTable,
    electricity_factor,
    gas_factor,
    load_factors,
    normalise_province,
    residual_mix_factor,
)
from core.carbon.ledger import SiteCarbon, factor_year, site_carbon

__all__ = [
    "EmissionFactor",
    "FactorNotFound",
    "FactorTable",
    "SiteCarbon",
    "electricity_factor",
    "factor_year",
    "gas_factor",
    "load_factors",
    "normalise_province",
    "residual_mix_factor",
    "site_carbon",
]

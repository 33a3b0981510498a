"""Waste detection: hourly baselines of each meter, residual episodes, alerts.

Reads the time-series store and writes ``AlertRecord`` rows; imports only ``core``.
"""

from models.baseline import MeterBaseline
from models.detection import DetectionPass, DetectionReport
from models.features import feature_names, hour_features
from models.hourly import HourlySeries, hourly_energy
from models.kinds import waste_kind
from models.quality import DataWarning, check_sufficiency
from models.residual import Episode, ResidualDetector

__all__ = [
    "DataWarning",
    "DetectionPass",
    "DetectionReport",
    "Episode",
    "HourlySeries",
    "MeterBaseline",
    "ResidualDetector",
    "check_sufficiency",
    "feature_names",
    "hour_features",
    "hourly_energy",
    "waste_kind",
]

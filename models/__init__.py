"""Waste detection: robust hourly baselines of each meter, public-space waste checks, data
findings and alerts with their money, carbon and history.

Reads the time-series store and writes ``AlertRecord``, ``AlertEventRecord``,
``DataFindingRecord`` and ``BaselineRecord`` rows; imports only ``core``.
"""

from models.alerts import AlertBook, StoreCounts
from models.bank import BaselineBank, StoredBaseline
from models.batch import TableScores, score_table
from models.budget import FitBudget
from models.creep import BaseLoadCreep
from models.detection import DetectionPass, DetectionReport
from models.episodes import WasteEpisode
from models.features import FEATURES, hour_features
from models.hourly import HourlySeries, hourly_energy
from models.kinds import CHECKS, WASTE_KINDS
from models.multivariate import SiteResidualForest
from models.profile import ProfileBaseline
from models.quality import DataWarning, check_sufficiency
from models.residual import Episode, ResidualDetector
from models.scoring import SiteScanner
from models.tariff import Tariff

__all__ = [
    "CHECKS",
    "FEATURES",
    "WASTE_KINDS",
    "AlertBook",
    "BaseLoadCreep",
    "BaselineBank",
    "DataWarning",
    "DetectionPass",
    "DetectionReport",
    "Episode",
    "FitBudget",
    "WasteEpisode",
    "HourlySeries",
    "ProfileBaseline",
    "ResidualDetector",
    "SiteResidualForest",
    "SiteScanner",
    "StoreCounts",
    "StoredBaseline",
    "TableScores",
    "Tariff",
    "check_sufficiency",
    "hour_features",
    "hourly_energy",
    "score_table",
]

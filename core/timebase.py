"""The home time zone and the time units every layer counts in.

kilowatch started with Chinese portfolios: a site that names no zone, a timestamp given
without one, and a day that has no site (the portfolio's, the carbon factors' year) are
China's. Sites elsewhere carry their own IANA zone; only the default lives here.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

__all__ = ["DAY", "HOME_TIMEZONE", "HOME_UTC_OFFSET_S", "HOME_ZONE", "HOUR", "MINUTE"]

#: Seconds, the unit of every timestamp in the stores and the database.
MINUTE = 60
HOUR = 3600
DAY = 86400

#: IANA name of the home time zone (stored in ``sites.timezone`` by default).
HOME_TIMEZONE = "Asia/Shanghai"
HOME_ZONE = ZoneInfo(HOME_TIMEZONE)
#: China has kept UTC+8 without daylight saving since 1991, so a home day is a fixed
#: 86,400-second window: what lets SQL bucket days with arithmetic instead of a zone table.
HOME_UTC_OFFSET_S = 8 * HOUR

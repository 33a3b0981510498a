"""Sites say where their coordinates come from and when they were retired; site-level findings.

``location_source`` is "given" or "province_capital". Sites stored at exactly (0, 0), the old
default for a meta announcement without coordinates, or at NaN, infinite or out-of-range
coordinates (announcements were not checked), move to their province capital; meters' NaN or
negative ratings become 0 and rollover points of zero or less (or NaN) unknown.
``retired_at`` is set by an empty meta announcement. Data findings become unique per site as
well, so that site-level findings (meter_id "") of different sites can start in the same second.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

import math
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.geo import capital_of

# revision identifiers, used by Alembic.
revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("location_source", sa.String(length=16), server_default="given", nullable=False))
        batch_op.add_column(sa.Column("retired_at", sa.Integer(), nullable=True))
    with op.batch_alter_table("data_findings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_data_finding", type_="unique")
        batch_op.create_unique_constraint("uq_data_finding", ["site_id", "meter_id", "kind", "started_at"])
    connection = op.get_bind()
    sites = sa.table(
        "sites",
        sa.column("site_id"),
        sa.column("province"),
        sa.column("latitude"),
        sa.column("longitude"),
        sa.column("location_source"),
    )
    rows = connection.execute(sa.select(sites.c.site_id, sites.c.province, sites.c.latitude, sites.c.longitude)).all()
    for site_id, province, lat, lon in rows:
        # Judged in Python: NaN and infinity compare differently in every database.
        placed = (
            lat is not None
            and lon is not None
            and math.isfinite(lat)
            and math.isfinite(lon)
            and abs(lat) <= 90
            and abs(lon) <= 180
            and (lat, lon) != (0.0, 0.0)
        )
        capital = None if placed else capital_of(province or "")
        if capital is not None:
            connection.execute(
                sites.update()
                .where(sites.c.site_id == site_id)
                .values(latitude=capital.latitude, longitude=capital.longitude, location_source="province_capital")
            )
    # Meter numbers the checks now refuse (the API served NaN as null against its schema):
    # an unknown rating is 0 and an unknown rollover point None, as when not announced.
    meters = sa.table("meters", sa.column("meter_id"), sa.column("rated_kw"), sa.column("register_max"))
    for meter_id, rated_kw, register_max in connection.execute(
        sa.select(meters.c.meter_id, meters.c.rated_kw, meters.c.register_max)
    ).all():
        fixes: dict[str, float | None] = {}
        if rated_kw is None or not math.isfinite(rated_kw) or rated_kw < 0:
            fixes["rated_kw"] = 0.0
        if register_max is not None and (not math.isfinite(register_max) or register_max <= 0):
            fixes["register_max"] = None
        if fixes:
            connection.execute(meters.update().where(meters.c.meter_id == meter_id).values(**fixes))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("data_findings", schema=None) as batch_op:
        batch_op.drop_constraint("uq_data_finding", type_="unique")
        batch_op.create_unique_constraint("uq_data_finding", ["meter_id", "kind", "started_at"])
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("retired_at")
        batch_op.drop_column("location_source")

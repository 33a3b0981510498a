"""Change counters and per site and month reading versions, so the API can keep answers until their data changes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    counters = op.create_table(
        "change_counters",
        sa.Column("name", sa.String(length=16), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.bulk_insert(counters, [{"name": name, "version": 0} for name in ("registry", "alerts", "readings")])
    op.create_table(
        "site_month_versions",
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("month", sa.BigInteger(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("site_id", "month"),
    )
    op.create_index("ix_site_month_versions_month", "site_month_versions", ["month"])


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_index("ix_site_month_versions_month", table_name="site_month_versions")
    op.drop_table("site_month_versions")
    op.drop_table("change_counters")

"""Detection replicas share a portfolio: passes, leases on site shards, one record per site and pass.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table(
        "detection_shards",
        sa.Column("shard", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("shards", sa.Integer(), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=True),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.Column("done_pass", sa.BigInteger(), nullable=False),
        sa.Column("last_holder", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("shard"),
    )
    op.create_table(
        "detection_passes",
        sa.Column("pass_no", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("started_at", sa.Float(), nullable=False),
        sa.Column("finished_at", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("pass_no"),
    )
    op.create_table(
        "detection_scans",
        sa.Column("pass_no", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("site_id", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("scanned_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("pass_no", "site_id"),
    )


def downgrade() -> None:
    """Downgrade schema."""
    op.drop_table("detection_scans")
    op.drop_table("detection_passes")
    op.drop_table("detection_shards")

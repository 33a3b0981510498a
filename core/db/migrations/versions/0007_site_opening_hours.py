"""Sites may declare opening hours (``opening_hours``), a prior for the detector; None: none declared.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# revision identifiers, used by Alembic.
revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opening_hours", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("sites", schema=None) as batch_op:
        batch_op.drop_column("opening_hours")

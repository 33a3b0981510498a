"""The alert's detection time gets a column (``alerts.detected_at``), filled from the explanation.

Until now it lived only inside the explanation JSON (``detected_ts``), which the detector
wrote and then parsed back. Alerts stored before keep their JSON as it is; the API serves
the column.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Alerts read and written per round of the backfill.
_BATCH = 1000


def _detected_ts(explanation: str | None) -> int | None:
    try:
        return int(json.loads(explanation or "")["detected_ts"])
    except (ValueError, KeyError, TypeError):
        return None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("detected_at", sa.Integer(), nullable=True))
    alerts = sa.table(
        "alerts", sa.column("id", sa.Integer), sa.column("explanation", sa.Text), sa.column("detected_at", sa.Integer)
    )
    bind = op.get_bind()
    last = 0
    while True:
        rows = bind.execute(
            sa.select(alerts.c.id, alerts.c.explanation).where(alerts.c.id > last).order_by(alerts.c.id).limit(_BATCH)
        ).all()
        if not rows:
            break
        last = rows[-1].id
        found = [{"alert_id": r.id, "ts": ts} for r in rows if (ts := _detected_ts(r.explanation)) is not None]
        if found:
            bind.execute(
                alerts.update().where(alerts.c.id == sa.bindparam("alert_id")).values(detected_at=sa.bindparam("ts")), found
            )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("detected_at")

"""index for the open round's leaderboard

Revision ID: 0003_leaderboard_index
Revises: 0002_admin_indexes
Create Date: 2026-12-03 17:55:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0003_leaderboard_index"
down_revision = "0002_admin_indexes"
branch_labels = None
depends_on = None


def upgrade():
    # Best attempts of a round in ranking order: the first page of an open round's
    # leaderboard reads a few index entries instead of every attempt of the round.
    op.create_index("ix_attempt_round_rank", "attempt",
                    ["round_id", sa.text("score DESC"), "duration_ms", "submitted_at", "id"])


def downgrade():
    op.drop_index("ix_attempt_round_rank", table_name="attempt")

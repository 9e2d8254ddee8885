"""participation tallies on each round

Revision ID: 0004_round_tallies
Revises: 0003_leaderboard_index
Create Date: 2026-12-03 19:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = "0004_round_tallies"
down_revision = "0003_leaderboard_index"
branch_labels = None
depends_on = None


def upgrade():
    # Kept up to date by closing an attempt (portal/stats.py), so the public stats read two
    # columns instead of counting every attempt of the round.
    with op.batch_alter_table("round") as batch:
        batch.add_column(sa.Column("tally_attempts", sa.BigInteger(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("tally_participants", sa.BigInteger(), nullable=False, server_default="0"))
    op.execute("""
        UPDATE round SET
          tally_attempts = (SELECT count(*) FROM attempt
                            WHERE attempt.round_id = round.id AND attempt.status IN ('submitted', 'expired')),
          tally_participants = (SELECT count(DISTINCT attempt.contestant_id) FROM attempt
                                WHERE attempt.round_id = round.id AND attempt.status IN ('submitted', 'expired'))
    """)


def downgrade():
    with op.batch_alter_table("round") as batch:
        batch.drop_column("tally_participants")
        batch.drop_column("tally_attempts")

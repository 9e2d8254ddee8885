"""indexes for the moderators' lists and dashboard

Revision ID: 0002_admin_indexes
Revises: 1b9b89f63f58
Create Date: 2026-12-05 09:00:00

"""
from alembic import op


revision = "0002_admin_indexes"
down_revision = "1b9b89f63f58"
branch_labels = None
depends_on = None


def upgrade():
    # "today" and "per day" figures of the dashboard read one round's attempts of one day.
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.create_index("ix_attempt_round_day", ["round_id", "local_day"], unique=False)
    # The contestants list pages newest first (keyset on id) without sorting 200,000 rows,
    # and lists the few ineligible or disqualified ones without reading the others.
    with op.batch_alter_table("contestant", schema=None) as batch_op:
        batch_op.create_index("ix_contestant_contest_order", ["contest_id", "id"], unique=False)
        batch_op.create_index("ix_contestant_contest_status", ["contest_id", "status"], unique=False)
    # A contestant's (or a question's) history on its admin page.
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.create_index("ix_audit_entry_target", ["target_type", "target_id"], unique=False)


def downgrade():
    with op.batch_alter_table("audit_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_entry_target")
    with op.batch_alter_table("contestant", schema=None) as batch_op:
        batch_op.drop_index("ix_contestant_contest_status")
        batch_op.drop_index("ix_contestant_contest_order")
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_attempt_round_day")

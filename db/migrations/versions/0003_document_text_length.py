"""Documents gain the length of their text, so that the document list of a large project
is read without reading every article.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.add_column(sa.Column("text_length", sa.Integer(), nullable=False, server_default="0"))
    # Both SQLite and PostgreSQL count characters (code points), as Python's len does.
    op.execute("UPDATE document SET text_length = length(text)")


def downgrade() -> None:
    with op.batch_alter_table("document") as batch:
        batch.drop_column("text_length")

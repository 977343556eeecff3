"""A team on one database: the history of every change to spans, relations, labels and
review decisions, who has which document open, and on PostgreSQL the triggers that record
the history and notify the other windows (``db.triggers``).

SQLite records history through TEMP triggers that each Dossier connection creates, so
nothing of them is stored here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op

from db.triggers import pg_create_statements, pg_drop_statements

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "history",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            sa.Identity(),
            nullable=False,
        ),
        sa.Column("at", sa.String(length=40), nullable=False),
        sa.Column("actor", sa.Text(), nullable=True),
        sa.Column("login", sa.Text(), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("op", sa.String(length=10), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_history_document_id", "history", ["document_id", "id"])
    op.create_index("ix_history_key", "history", ["key", "id"])
    op.create_table(
        "presence",
        sa.Column("session", sa.String(length=40), nullable=False),
        sa.Column("annotator", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Integer(), nullable=True),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("seen_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("session"),
    )
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        schema = connection.exec_driver_sql("SELECT current_schema()").scalar()
        for statement in pg_create_statements(schema):
            connection.exec_driver_sql(statement)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for statement in pg_drop_statements():
            connection.exec_driver_sql(statement)
    op.drop_table("presence")
    op.drop_index("ix_history_key", table_name="history")
    op.drop_index("ix_history_document_id", table_name="history")
    op.drop_table("history")

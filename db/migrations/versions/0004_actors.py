"""Canonical actors gain a type (person, organisation, state...), spans an index on the
actor they link to (an actor's mentions are read across the corpus), and the project
remembers which pairs of names an analyst said are not one actor.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("entity") as batch:
        batch.add_column(sa.Column("type", sa.Text(), nullable=True))
    op.create_index("ix_annotation_entity_id", "annotation", ["entity_id", "status", "document_id"])
    op.create_table(
        "entity_rejection",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first", sa.Text(), nullable=False),
        sa.Column("second", sa.Text(), nullable=False),
        sa.Column("created_at", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("first", "second"),
    )


def downgrade() -> None:
    op.drop_table("entity_rejection")
    op.drop_index("ix_annotation_entity_id", table_name="annotation")
    with op.batch_alter_table("entity") as batch:
        batch.drop_column("type")

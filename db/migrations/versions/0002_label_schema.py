"""Labels gain a schema: the attributes of their spans and the relations that start from them.

The labels a project was seeded with (Claim, Actor, Event, by name) get the schema a new
project starts with, unless they have one; every other label starts with none.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("label") as batch:
        batch.add_column(sa.Column("schema", sa.JSON(), nullable=False, server_default="{}"))
    from db.schema import default_schemas

    label = sa.table("label", sa.column("name", sa.String), sa.column("schema", sa.JSON))
    connection = op.get_bind()
    for name, schema in default_schemas().items():
        if schema:
            connection.execute(
                label.update()
                .where(sa.func.lower(label.c.name) == name.lower())
                .values(schema=schema.to_json())
            )


def downgrade() -> None:
    with op.batch_alter_table("label") as batch:
        batch.drop_column("schema")

"""Alembic environment: runs on the engine handed over by ``geodata.storage.database``."""

from alembic import context

from geodata.storage.models import Base

engine = context.config.attributes["engine"]

with engine.begin() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    context.run_migrations()

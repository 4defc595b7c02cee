"""Data layer: SQLAlchemy 2.0 models, sessions, Alembic migrations, services and admin CLI."""

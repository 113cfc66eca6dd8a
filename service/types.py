"""Column types shared by the models."""

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

#: JSON on every backend, JSONB on PostgreSQL.
JSONType = sa.JSON().with_variant(JSONB(), "postgresql")

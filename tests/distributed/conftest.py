"""The distributed roles' tests run on PostgreSQL only (``pg_url`` skips without it)."""

from tests.support.distributed import pg_url

__all__ = ["pg_url"]

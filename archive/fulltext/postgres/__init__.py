"""The PostgreSQL backend of `archive.fulltext`: full-text search in the shared database.

Chosen with `ARCHIVE_SEARCH_BACKEND=postgresql`, so that every web server and worker on
every machine searches and writes one index and nothing of it lives on a machine's disk.

- `schema`: the search schema: configurations, `prepare()`, tables, indexes, version.
- `rows`: an item and its pages as table rows, and their vocabulary.
- `compiler`: syntax tree (`archive.fulltext.parser`) -> SQL condition and ranking tsquery;
  the permission condition.
- `searching`: the one statement that answers a request, and the `SearchPage` it becomes.
- `suggest`: did-you-mean from the vocabulary's trigram index, within the user's scope.
- `store`: `PostgresIndex`, the backend itself: connections, reading, writing.
- `rebuild`: rebuild-then-swap (a part of `PostgresIndex`).
"""

from archive.fulltext.postgres.schema import SCHEMA_VERSION
from archive.fulltext.postgres.store import PostgresIndex

__all__ = ["SCHEMA_VERSION", "PostgresIndex"]

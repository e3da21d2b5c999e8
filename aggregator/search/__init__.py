"""Search of entries and own posts: what a query means (``query``), how a result's
excerpt marks it (``excerpt``) and the ``/search`` page (``page``).

The index itself lives in the store (``store.search``): SQLite FTS5 or
PostgreSQL full-text search.
"""

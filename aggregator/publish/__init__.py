"""Publish the site: pages, Atom and JSON feeds, the blogroll OPML and the blogs' icons,
written atomically.

``site.build_site`` reads what the pages show (``inputs``), plans every file
(``plan``), renders the pages (``pages``) with each blog's face (``faces``),
writes the files that changed (``files``) and removes the ones it no longer
writes (``prune``). ``fingerprint`` tells, before any of that is imported, a
build that has nothing to do.
"""

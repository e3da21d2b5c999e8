"""Updating: decide what a fetch means for a source, and the one pipeline that applies it."""

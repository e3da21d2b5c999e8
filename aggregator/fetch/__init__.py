"""Fetching: the one HTTP fetcher, its SSRF guard, and feed discovery."""

"""Builders the tests use to make fixtures (e.g. the article's system created by hand)."""

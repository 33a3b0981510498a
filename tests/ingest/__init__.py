"""Tests of the ingest worker."""

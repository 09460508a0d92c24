"""Tests of the local-only tools of glue/local/: the DuckDB catalog and the translated analysis views."""

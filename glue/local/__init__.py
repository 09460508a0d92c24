"""Local-only Python (the DuckDB catalog, the local tools around the jobs): never shipped to Glue, which gets only
glue/cinelake/. Run from glue/ (or with glue/ on PYTHONPATH), beside the cinelake package it reads the registry from."""

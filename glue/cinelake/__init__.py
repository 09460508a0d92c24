"""Shared module of cinelake's Glue jobs: pure DataFrame -> DataFrame transforms, the table registry, job plumbing."""

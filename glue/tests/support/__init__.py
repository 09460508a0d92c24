"""Helpers shared by the tests: job arguments and Raw lines (trusted_fixtures), TMDB objects, moto's S3 server."""

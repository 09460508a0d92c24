"""The trusted-csv job: Raw Movies/Series CSVs of one day -> typed Trusted Parquet (transforms pure, job the wiring)."""

"""The Spark jobs' tests, laid out like glue/: one folder per job (transforms, job), the shared modules at the top."""

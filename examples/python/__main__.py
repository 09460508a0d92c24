"""A books lake built from cinelake's components (the Python SDK `pulumi package add` generates).

One bucket, one Spark job reading its Raw CSVs into Trusted Parquet, and the failure alerts; every name carries the
`books` prefix, so this lake can share an account (and a stack) with the movies lake.
"""

import pulumi
import pulumi_cinelake as cinelake

stack = pulumi.get_stack()

lake = cinelake.DataLakeBucket(
    "lake",
    stack_name=stack,
    name_prefix="books",
    keep_noncurrent_versions=False,
    noncurrent_version_days=14,
)

books_trusted = cinelake.SparkJob(
    "books-trusted",
    stack_name=stack,
    name_prefix="books",
    bucket={"bucket_name": lake.bucket_name, "bucket_arn": lake.bucket_arn},
    job={
        "name": "books-trusted",
        "description": "Raw CSV books to Trusted Parquet.",
        "script": "jobs/books_trusted.py",
        "reads": ["Raw/Local/CSV/Books/"],
        "writes": ["Trusted/Local/Parquet/Books/"],
    },
    source_root="./glue",
    number_of_workers=2,
    schedule="cron(0 4 * * ? *)",
)

alerts = cinelake.LakeAlerts(
    "alerts",
    stack_name=stack,
    name_prefix="books",
    glue_job_names=[books_trusted.job_name],
)

pulumi.export("bucket_name", lake.bucket_name)
pulumi.export("job_name", books_trusted.job_name)
pulumi.export("alert_topic_arn", alerts.topic_arn)

"""The books lake's one Spark job (test/support/booksLake.ts): Trusted books to a Refined table of authors.

It proves that SparkJob deploys any script with any arguments: the second lake's tests upload it and wire its
arguments, they do not run it. Arguments: --lake_root (s3://<bucket>/), --trusted_books and --refined_authors
(prefixes relative to the lake root).
"""

import argparse
import sys


def main(argv: list[str]) -> None:
    parser = argparse.ArgumentParser(prog="authors_job")
    for name in ("--lake_root", "--trusted_books", "--refined_authors"):
        parser.add_argument(name, required=True)
    # Glue passes its own arguments (--JOB_NAME, --TempDir, ...) beside the job's.
    args, _glue = parser.parse_known_args(argv)

    from pyspark.sql import SparkSession
    from pyspark.sql import functions as F

    spark = SparkSession.builder.appName("books-authors").getOrCreate()
    books = spark.read.parquet(args.lake_root + args.trusted_books)
    authors = books.groupBy("author").agg(F.count("*").alias("books"), F.min("published_year").alias("first_year"))
    authors.write.mode("overwrite").parquet(args.lake_root + args.refined_authors)


if __name__ == "__main__":
    main(sys.argv[1:])

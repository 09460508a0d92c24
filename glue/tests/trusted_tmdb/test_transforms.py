"""The TMDB job's pure transforms (cinelake.trusted_tmdb.transforms): the Raw document shapes."""

import json

from cinelake.trusted_tmdb import transforms

from tests.support.tmdb_fixtures import movie


def test_document_shapes(spark):
    docs = [
        ("array", json.dumps([movie(1), movie(2)])),
        ("results", json.dumps({"page": 1, "results": [movie(3)]})),
        ("single", json.dumps(movie(4))),
        ("empty", "[]"),
    ]
    files = spark.createDataFrame([(n, 0, d) for n, d in docs], "source_file string, modified long, value string")
    records, refused = transforms.split_documents(files)
    found = sorted((r["source_file"], r["position"]) for r in records.collect())
    assert found == [("array", 0), ("array", 1), ("results", 0), ("single", 0)]
    assert refused.count() == 0

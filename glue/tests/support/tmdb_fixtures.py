"""Small TMDB detail objects shaped like TMDB's `/movie/{id}` and `/tv/{id}` responses with appended parts."""

import copy


def movie(tmdb_id: int, imdb_id: str | None = None, **overrides) -> dict:
    """A movie detail object with credits, keywords, external_ids and release_dates appended."""
    body = {
        "adult": False,
        "belongs_to_collection": {"id": 10, "name": "Saga Collection", "poster_path": None},
        "budget": 1_000_000 * tmdb_id,
        "genres": [{"id": 18, "name": "Drama"}, {"id": 878, "name": "Science Fiction"}],
        "homepage": "",
        "id": tmdb_id,
        "imdb_id": imdb_id or f"tt{tmdb_id:07d}",
        "original_language": "en",
        "original_title": f"Original {tmdb_id}",
        "overview": "A story.",
        "popularity": 12.5,
        "production_companies": [{"id": 1, "logo_path": None, "name": "Studio", "origin_country": "US"}],
        "production_countries": [{"iso_3166_1": "US", "name": "United States of America"}],
        "release_date": "2019-09-17",
        "revenue": 0,
        "runtime": 123,
        "spoken_languages": [{"english_name": "English", "iso_639_1": "en", "name": "English"}],
        "status": "Released",
        "tagline": "",
        "title": f"Movie {tmdb_id}",
        "video": False,
        "vote_average": 6.1,
        "vote_count": 3847,
        "credits": {
            "cast": [
                {
                    "cast_id": 1,
                    "character": "Roy",
                    "credit_id": "c1",
                    "gender": 2,
                    "id": 287,
                    "name": "A. Actor",
                    "order": 0,
                    "profile_path": None,
                },
                {
                    "cast_id": 2,
                    "character": "Eve",
                    "credit_id": "c2",
                    "gender": 1,
                    "id": 288,
                    "name": "B. Actress",
                    "order": 1,
                    "profile_path": None,
                },
            ],
            "crew": [
                {
                    "credit_id": "c3",
                    "department": "Directing",
                    "gender": 2,
                    "id": 20561,
                    "job": "Director",
                    "name": "C. Director",
                    "profile_path": None,
                },
            ],
        },
        "keywords": {"keywords": [{"id": 9882, "name": "space"}]},
        "external_ids": {"imdb_id": imdb_id or f"tt{tmdb_id:07d}", "wikidata_id": None},
        "release_dates": {
            "results": [
                {
                    "iso_3166_1": "US",
                    "release_dates": [
                        {
                            "certification": "PG-13",
                            "iso_639_1": "",
                            "note": "",
                            "release_date": "2019-09-20T00:00:00.000Z",
                            "type": 3,
                        },
                        {
                            "certification": "",
                            "iso_639_1": "",
                            "note": "",
                            "release_date": "2019-12-17T00:00:00.000Z",
                            "type": 5,
                        },
                    ],
                },
                {
                    "iso_3166_1": "BR",
                    "release_dates": [
                        {
                            "certification": "14",
                            "iso_639_1": "",
                            "note": "",
                            "release_date": "2019-09-19T00:00:00.000Z",
                            "type": 3,
                        },
                    ],
                },
            ]
        },
    }
    body.update(copy.deepcopy(overrides))
    return body


def series(tmdb_id: int, imdb_id: str | None = None, **overrides) -> dict:
    """A TV detail object with credits, keywords, external_ids and content_ratings appended (no top-level imdb_id)."""
    body = {
        "adult": False,
        "created_by": [{"id": 5, "credit_id": "x", "name": "D. Creator", "gender": 1, "profile_path": None}],
        "episode_run_time": [45, 50],
        "first_air_date": "2008-01-20",
        "genres": [{"id": 18, "name": "Drama"}],
        "homepage": "https://example.org",
        "id": tmdb_id,
        "in_production": False,
        "languages": ["en"],
        "last_air_date": "2013-09-29",
        "name": f"Series {tmdb_id}",
        "networks": [{"id": 174, "logo_path": None, "name": "AMC", "origin_country": "US"}],
        "number_of_episodes": 62,
        "number_of_seasons": 5,
        "origin_country": ["US"],
        "original_language": "en",
        "original_name": f"Original Series {tmdb_id}",
        "overview": "A teacher.",
        "popularity": 300.1,
        "production_companies": [],
        "production_countries": [{"iso_3166_1": "US", "name": "United States of America"}],
        "seasons": [{"id": 1, "season_number": 1, "episode_count": 7}],
        "spoken_languages": [{"english_name": "English", "iso_639_1": "en", "name": "English"}],
        "status": "Ended",
        "tagline": "Remember my name",
        "type": "Scripted",
        "vote_average": 8.9,
        "vote_count": 14000,
        "credits": {
            "cast": [
                {"character": "Walter", "credit_id": "c", "gender": 2, "id": 17419, "name": "E. Actor", "order": 0}
            ],
            "crew": [],
        },
        "keywords": {"results": [{"id": 1, "name": "drug"}]},
        "external_ids": {"imdb_id": imdb_id or f"tt{tmdb_id:07d}", "tvdb_id": 81189},
        "content_ratings": {"results": [{"descriptors": [], "iso_3166_1": "US", "rating": "TV-MA"}]},
    }
    body.update(copy.deepcopy(overrides))
    return body

"""The API's keyset lists (issue 10 §4): each takes the `next_cursor` it gave and walks every row
once; a cursor nobody gave is a 422 naming it."""

from __future__ import annotations


def test_every_keyset_list_of_the_api_takes_a_cursor(api, world):
    """Walk each list of the API by cursor with page_size=1: the same rows as one big page."""
    for path in ("/api/opportunities", "/api/activities", "/api/accounts", "/api/contacts"):
        whole = api.get(path, world.ada, page_size=200)
        walked, cursor = [], None
        for _ in range(300):
            params = {"page_size": 1, **({"cursor": cursor} if cursor else {})}
            body = api.get(path, world.ada, **params)
            walked += [row["id"] for row in body["items"]]
            assert body["count"] == whole["count"] and body["count_exact"] is True
            cursor = body["next_cursor"]
            if cursor is None:
                break
        assert walked == [row["id"] for row in whole["items"]], path


def test_the_api_refuses_a_bad_cursor_with_a_422(api, world):
    body = api.get("/api/opportunities", world.rita, expect=422, cursor="garbage!")
    assert body["code"] == "bad_cursor" and "cursor" in body["errors"]

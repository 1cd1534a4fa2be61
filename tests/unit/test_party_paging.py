"""The Parties list read every way the screen reads it (by OFFSET, past a row, from the far
end, by walking an index for a broad search) gives the same rows in the same order, and
the quick count of a search agrees with counting the parties themselves."""

from __future__ import annotations

from datetime import date

import pytest
from reltui.sample import generate
from reltui.services import Services, reads
from reltui.store import open_store
from reltui.tui.screens.parties import Query, party_source

TODAY = date(2026, 11, 22)


@pytest.fixture(scope="module")
def svc(module_book_factory):
    store = open_store(module_book_factory("paging"))
    generate(store, parties=700, seed=5, today=TODAY)
    yield Services(store)
    store.close()


QUERIES = [Query(), Query(descending=True), Query(search="a"), Query(search="an", status="all"),
           Query(search="e", descending=True), Query(rung="client"), Query(search="o", kind="customer")]


@pytest.mark.parametrize("query", QUERIES, ids=repr)
def test_keyset_pages_match_offset_pages(svc, query):
    source = party_source(svc, query, lambda: TODAY)
    rows = svc.list_parties(**query.filters(), sort=query.sort, descending=query.descending,
                            limit=10_000)
    assert len(rows) == source.count() > 0
    for start in range(0, len(rows), 100):
        page = rows[start:start + 100]
        assert list(source.page(start, 100)) == page
        if start:
            assert list(source.after(rows[start - 1], 100)) == page
        if start + 100 < len(rows):
            assert list(source.before(rows[start + 100], 100)) == page
    if query.search:
        assert source.tail is None  # End after a search reads its page when asked
    else:
        assert list(source.tail(100)) == rows[-100:]


@pytest.mark.parametrize("way", ["set", "probe"])
@pytest.mark.parametrize("word", ["a", "e", "an", "zzz"])
def test_walking_the_index_finds_what_sorting_the_matches_finds(svc, word, way, monkeypatch):
    sorted_pages = {}
    monkeypatch.setattr(reads.Reads, "_walk", lambda self, fts, dialect: "")  # sort the matches
    for sort in ("name", "revenue", "last_contact"):
        for descending in (False, True):
            for offset in (0, 100, 250):
                sorted_pages[sort, descending, offset] = svc.list_parties(
                    search=word, sort=sort, descending=descending, offset=offset, limit=100)
    monkeypatch.setattr(reads.Reads, "_walk", lambda self, fts, dialect: way)  # walk an index
    for (sort, descending, offset), page in sorted_pages.items():
        assert svc.list_parties(search=word, sort=sort, descending=descending, offset=offset,
                                limit=100) == page


def test_how_a_search_pages_follows_how_much_of_the_book_it_matches(svc, monkeypatch):
    monkeypatch.setattr(reads, "DENSE_MATCHES", 50)  # the 700-party book: a quarter is 175
    fts = {w: reads.queries.fts_query(w) for w in ("a", "be", "zzz")}
    counts = {w: len(svc.list_parties(search=w, status="all", limit=10_000)) for w in fts}
    assert counts["a"] >= 175 and 50 <= counts["be"] < 175 and counts["zzz"] == 0, counts
    assert [svc._walk(fts[w], svc.store.dialect_name) for w in ("a", "be", "zzz")] == \
        ["probe", "set", ""]


@pytest.mark.parametrize("status", [None, "active", "all", "defected"])
@pytest.mark.parametrize("word", ["a", "an", "example.org", "zzz"])
def test_the_quick_count_of_a_search_counts_the_parties(svc, word, status):
    where, params = svc.party_filter(search=word, status=status)
    counted = svc.store.rows(f"SELECT count(*) FROM party WHERE {where}", params)[0][0]
    assert svc.count_parties(search=word, status=status) == counted


def test_paging_after_a_row_is_for_name_order_only(svc):
    from reltui.domain.errors import InvalidInput

    with pytest.raises(InvalidInput):
        svc.list_parties(sort="revenue", after=("Ada", 1))

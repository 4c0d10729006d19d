"""The gallery query: parse → a typed query → a queryset over ``access.files_for``.

Independent of views, so the gallery, the JSON API, the Atom feed and the
ADS/DWS screens share one set of filters, sorts and keyset pages.
"""

from sequenzia.query.build import filter_files, folders_of, query_folder_ids
from sequenzia.query.paging import Page, fetch_page, neighbours, sort_spec, walk
from sequenzia.query.search import QueryError, SearchTerms, parse_search
from sequenzia.query.spec import SORTS, GalleryQuery

__all__ = [
    "SORTS",
    "GalleryQuery",
    "Page",
    "QueryError",
    "SearchTerms",
    "fetch_page",
    "filter_files",
    "folders_of",
    "neighbours",
    "parse_search",
    "query_folder_ids",
    "sort_spec",
    "walk",
]

"""Distinctive keywords: which terms the selected posts use more than a background does.

Raw counts put the words every post uses on top; a dashboard wants what sets *these* posts
apart. Each candidate term gets the log-odds ratio with an informative Dirichlet prior (Monroe,
Colaresi & Quinn 2008, "Fightin' Words", eq. 16-22) and its standard error, and is ranked by
the lower end of a one-sided 95 % interval, delta - 1.645 sigma: large only when a term is
clearly over-represented *and* common enough to be sure of it (Monroe's z = delta / sigma
favours frequent, mildly raised words; the bare delta favours two-post accidents). Counts are
posts (document frequency), the unit every store counts cheaply:

    selection i, rest j = background - selection, n = posts, y_w = posts containing w
    prior  alpha_w = A * (y_w_bg + 0.5) / (n_bg + 1)        (A = PRIOR_POSTS pseudo-posts)
    delta_w = log((y_wi + alpha_w) / (n_i + A - y_wi - alpha_w))
            - log((y_wj + alpha_w) / (n_j + A - y_wj - alpha_w))
    sigma_w = sqrt(1 / (y_wi + alpha_w) + 1 / (y_wj + alpha_w))
    score_w = delta_w - 1.645 sigma_w

The background is the same period with no other filter when the query filters on more than
time, else the whole store; a query that selects everything has nothing to stand out from, so
its scores are 0 and the order is by count.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from duluan.core.query import SearchQuery
from nlp.keywords import is_keyword

if TYPE_CHECKING:
    from duluan.storage.base import Store

PRIOR_POSTS = 100.0
"""Prior strength A: pseudo-posts distributed like the background (shrinks rare terms)."""

Z_LOWER = 1.645
"""One-sided 95 % normal quantile: how sure a term's over-representation must be."""

CANDIDATES = 200
"""The selection's most frequent terms that are scored (at least 10x the asked limit)."""


@dataclass(frozen=True)
class KeywordScore:
    """One keyword of a selection: posts with it and its log-odds score against the background."""

    term: str
    count: int
    score: float


def log_odds(
    y_i: float, n_i: float, y_bg: float, n_bg: float, prior: float = PRIOR_POSTS
) -> tuple[float, float]:
    """(delta, sigma): prior-smoothed log-odds ratio of a term, selection vs rest of background."""
    y_j = max(0.0, y_bg - y_i)
    n_j = max(y_j, n_bg - n_i)
    if n_j <= 0:
        return 0.0, 0.0
    alpha = prior * (y_bg + 0.5) / (n_bg + 1.0)
    a_i, a_j = y_i + alpha, y_j + alpha
    b_i = max(n_i + prior - y_i - alpha, 1e-9)
    b_j = max(n_j + prior - y_j - alpha, 1e-9)
    delta = math.log(a_i / b_i) - math.log(a_j / b_j)
    return delta, math.sqrt(1.0 / a_i + 1.0 / a_j)


def keyword_score(
    y_i: float, n_i: float, y_bg: float, n_bg: float, prior: float = PRIOR_POSTS
) -> float:
    """Lower end of the one-sided 95 % interval of the log-odds ratio (0 with no rest)."""
    delta, sigma = log_odds(y_i, n_i, y_bg, n_bg, prior)
    return delta - Z_LOWER * sigma if sigma else 0.0


def background_of(query: SearchQuery) -> SearchQuery | None:
    """The posts a selection is compared with; None when the selection is already everything."""
    base = SearchQuery(since=query.since, until=query.until)
    filtered = bool(query.q and query.q.strip()) or any(
        (query.sources, query.authors, query.topics, query.sentiments, query.languages)
    )
    if filtered:
        return base
    if query.since is not None or query.until is not None:
        return SearchQuery()
    return None


def is_everything(query: SearchQuery) -> bool:
    """True when the query matches every stored post (no text, filter or time window)."""
    return background_of(query) is None


def rank_keywords(
    store: Store, query: SearchQuery, limit: int = 20, *, prior: float = PRIOR_POSTS
) -> list[KeywordScore]:
    """The selection's keywords, most distinctive first; filler from older analyses skipped."""
    k = max(CANDIDATES, 10 * limit)
    counted = [(t, c) for t, c in store.top_keywords(query, k) if is_keyword(t)]
    if not counted:
        return []
    background = background_of(query)
    if background is None:
        return [KeywordScore(t, c, 0.0) for t, c in counted[:limit]]
    n_i = store.count(query)
    n_bg = store.count(background)
    bg = store.keyword_counts(background, [t for t, _ in counted])
    scored = [
        KeywordScore(t, c, round(keyword_score(c, n_i, max(bg.get(t, 0), c), n_bg, prior), 3))
        for t, c in counted
    ]
    scored.sort(key=lambda s: (-s.score, -s.count, s.term))
    return scored[:limit]

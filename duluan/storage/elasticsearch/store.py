"""The Elasticsearch Store: monthly indices behind one alias, bulk upserts by post id, aggregations.

Layout: `<prefix>-YYYY.MM` indices (by the post's created_at month) created from one index
template that also adds them to the read alias `<prefix>`; retention drops whole months
(`drop_before`). Source runs and the deletion audit log live in their own small indices.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import time
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from elastic_transport import OrjsonSerializer, SerializationError, TransportError
from elasticsearch import ApiError, Elasticsearch, NotFoundError
from elasticsearch.helpers import streaming_bulk

from duluan.core.deadline import store_time_limit_ms
from duluan.core.highlight import snippet
from duluan.core.ids import content_hash
from duluan.core.logging import get_logger
from duluan.core.models import Post
from duluan.core.query import Interval, QueryTimedOut, SearchQuery, Split, positive_terms
from duluan.core.retry import RetryPolicy
from duluan.core.settings import Settings
from duluan.core.text import clean_control, fold
from duluan.storage.base import (
    Bucket,
    QueryRejected,
    RejectedPosts,
    SearchHit,
    SearchPage,
    Store,
    StoreError,
    StoreRejected,
    StoreUnavailable,
)
from duluan.storage.elasticsearch.cold import ChangeWatch, ColdTimelines, marks_from
from duluan.storage.elasticsearch.compile import (
    AUDIT_MAPPINGS,
    CHANGES_MAPPINGS,
    MAPPINGS,
    compile_query,
)

log = get_logger(__name__)

_RETRYABLE_STATUS = {408, 429, 500, 502, 503, 504}
_RAISE: Any = object()  # `_call(missing=...)` default: a 404 is an error


def translate(
    exc: Exception, what: str, rejected: type[StoreRejected] = StoreRejected
) -> StoreError:
    """The store error for an Elasticsearch client error: retryable or not, never the raw one."""
    if isinstance(exc, ApiError):
        status = exc.meta.status
        cls: type[StoreError] = StoreUnavailable if status in _RETRYABLE_STATUS else rejected
        return cls(f"elasticsearch {what}: {status} {exc.error}: {str(exc)[:500]}")
    if isinstance(exc, SerializationError):
        return rejected(f"elasticsearch {what}: {exc}")
    return StoreUnavailable(f"elasticsearch {what}: {type(exc).__name__}: {exc}")


class _BulkPartial(StoreUnavailable):
    """Some documents of a bulk request met a 429/5xx: the rest are done, retry these."""


_NOT_FOUND_OK: dict[str, Any] = {"ignore_unavailable": True, "allow_no_indices": True}
_SPLIT_FIELD = {"sentiment": "sentiment", "source": "source", "topic": "topics"}
_VALUE_FIELD = {
    "source": "source",
    "author": "author",
    "sentiment": "sentiment",
    "language": "language",
}


def _encode_cursor(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps({"sa": values}).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> list[Any]:
    try:
        pad = "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(cursor + pad))
        values = data["sa"]
        if not isinstance(values, list) or not 0 < len(values) <= 4:
            raise ValueError
        for v in values:  # what search_after takes from us: sort keys, nothing hand-made
            if isinstance(v, bool) or not isinstance(v, int | float | str):
                raise ValueError
            if isinstance(v, int) and not -(2**63) <= v < 2**63:
                raise ValueError
            if isinstance(v, float) and not math.isfinite(v):
                raise ValueError
            if isinstance(v, str) and len(v) > 512:
                raise ValueError
        return values
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise ValueError("invalid cursor") from exc


def _earliest(created: Iterable[str | None]) -> datetime | None:
    """The earliest of stored created_at values; None (all time) if one is missing."""
    times = [datetime.fromisoformat(c) if c else None for c in created]
    return None if not times or None in times else min(t for t in times if t is not None)


def _ms_to_dt(ms: float) -> datetime:
    return datetime.fromtimestamp(ms / 1000, UTC)


class ElasticsearchStore(Store):
    """Posts in Elasticsearch; safe to share between processes (the node serialises writes)."""

    def __init__(
        self,
        url: str = "http://127.0.0.1:9200",
        prefix: str = "duluan-posts",
        *,
        shards: int = 1,
        replicas: int = 0,
        refresh: bool | str = False,
        retries: int | None = None,
        backoff: float | None = None,
        max_backoff: float | None = None,
        retry: RetryPolicy | None = None,
        request_timeout: float = 60.0,
        client: Elasticsearch | None = None,
        cold_timelines: int = 512,
        query_timeout_ms: int = 0,
    ) -> None:
        self.url = url
        self.query_timeout_ms = query_timeout_ms
        self.prefix = prefix
        self.alias = prefix
        base = prefix.removesuffix("-posts")
        # crawl runs now live in the metadata database; drop_all still deletes this old index
        self.legacy_runs_index = f"{base}-source-runs"
        self.audit_index = f"{base}-audit"
        self.changes_index = f"{base}-changes"
        self.template = f"{prefix}-template"
        self.shards = shards
        self.replicas = replicas
        self.refresh_policy = refresh
        policy = retry or RetryPolicy.defaults()
        for name, value in (
            ("attempts", retries),
            ("initial_s", backoff),
            ("max_wait_s", max_backoff),
        ):
            if value is not None:
                policy = policy.replace(**{name: value})
        self.retry = policy
        self.es = client or Elasticsearch(
            url,
            request_timeout=request_timeout,
            max_retries=0,  # one retry policy: `self.retry`, around every call
            # orjson parses an hourly timeline's 200 KB of aggregation JSON ~3x faster
            serializers={
                "application/json": OrjsonSerializer(),
                "application/vnd.elasticsearch+json": OrjsonSerializer(),
            },
        )
        self._ready = False
        self._watch = ChangeWatch(self._change_marks)
        self._cold = (
            ColdTimelines(self._timeline_live, self._watch, cold_timelines)
            if cold_timelines > 0
            else None
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> ElasticsearchStore:
        return cls(
            settings.elasticsearch_url,
            settings.elasticsearch_index,
            cold_timelines=settings.elasticsearch_cold_timelines,
            retry=RetryPolicy.from_settings(settings),
        )

    # -- plumbing --------------------------------------------------------------------------
    def _call(
        self,
        what: str,
        fn: Any,
        *args: Any,
        missing: Any = _RAISE,
        rejected: type[StoreRejected] = StoreRejected,
        **kwargs: Any,
    ) -> Any:
        """Run one request under the retry policy (node away, 429/5xx); errors leave translated.

        `missing`: returned on a 404 instead of raising; `rejected`: the class of a 4xx.
        """

        def once() -> Any:
            try:
                return fn(*args, **kwargs)
            except NotFoundError as exc:
                if missing is not _RAISE:
                    return missing
                raise translate(exc, what, rejected) from exc
            except (ApiError, TransportError) as exc:
                raise translate(exc, what, rejected) from exc

        return self.retry.call(once, retry_on=StoreUnavailable, what=f"elasticsearch {what}")

    def ensure_ready(self) -> None:
        """Install the index template and the side indices (idempotent; once per process)."""
        if self._ready:
            return
        settings = {
            "number_of_shards": self.shards,
            "number_of_replicas": self.replicas,
            "refresh_interval": "1s",
        }
        # Segments kept sorted newest first: a newest-first search of a very common term stops
        # after TOTAL_CAP matches instead of visiting them all (applies to indices made from now on)
        post_settings = {
            **settings,
            "index.sort.field": ["created_at", "id"],
            "index.sort.order": ["desc", "desc"],
        }
        self._call(
            "put index template",
            self.es.indices.put_index_template,
            name=self.template,
            index_patterns=[f"{self.prefix}-1*", f"{self.prefix}-2*"],
            priority=200,
            template={
                "settings": post_settings,
                "mappings": MAPPINGS,
                "aliases": {self.alias: {}},
            },
            meta={"owner": "duluan", "doc": "monthly post indices; see docs/scaleout.md"},
        )
        for index, mappings in (
            (self.audit_index, AUDIT_MAPPINGS),
            (self.changes_index, CHANGES_MAPPINGS),
        ):
            self._create_index(index, {"settings": settings, "mappings": mappings})
        self._ready = True

    def _create_index(self, index: str, body: dict[str, Any]) -> None:
        def create() -> None:
            try:
                self.es.indices.create(index=index, **body)
            except ApiError as exc:
                if exc.error != "resource_already_exists_exception":
                    raise

        self._call(f"create index {index}", create)

    def month_index(self, when: datetime) -> str:
        """The index a post created at `when` lives in: routing by month keeps ids in one place."""
        when = when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)
        return f"{self.prefix}-{when.year:04d}.{when.month:02d}"

    def post_indices(self) -> list[str]:
        """Every monthly index behind the alias, oldest first."""
        res = self._call("get alias", self.es.indices.get_alias, name=self.alias, missing=None)
        return sorted(res.body.keys()) if res is not None else []

    # -- writes ----------------------------------------------------------------------------
    def _doc(self, post: Post, now: str) -> dict[str, Any]:
        a = post.analysis
        body = clean_control(" ".join(x for x in (post.title, post.text) if x))
        return {
            "id": post.id,
            "source": post.source,
            "kind": post.kind,
            "url": post.url,
            "thread_id": post.thread_id,
            "parent_id": post.parent_id,
            "author": post.author,
            "author_lc": post.author.lower() if post.author else None,
            "folded": fold(body),
            "created_at": post.created_at.isoformat(),
            "fetched_at": post.fetched_at.isoformat(),
            "indexed_at": now,
            "language": a.language if a else None,
            "sentiment": a.sentiment.label if a else None,
            "sentiment_score": a.sentiment.score if a else None,
            "toxic": a.toxic.label if a else None,
            "toxicity": a.toxic.score if a else None,
            "topics": a.topic_labels() if a else [],
            "keywords": list(dict.fromkeys(k.lower() for k in a.keywords if k)) if a else [],
            "rule_topics": list(dict.fromkeys(a.rule_topics)) if a else [],
            "content_hash": content_hash(post.text),
            "post": post.model_dump(mode="json"),
        }

    def _current_indices(self, ids: list[str]) -> dict[str, list[str]]:
        """Where these ids are stored now (an id whose created_at month changed is elsewhere)."""
        return {pid: [i for i, _ in where] for pid, where in self._locate(ids).items()}

    def _locate(self, ids: list[str]) -> dict[str, list[tuple[str, str | None]]]:
        """(index, stored created_at) of each copy of these ids."""
        if not ids:
            return {}
        res = self._call(
            "locate ids",
            self.es.search,
            index=self.alias,
            query={"ids": {"values": ids}},
            source=["created_at"],
            size=len(ids) * 2,
            **_NOT_FOUND_OK,
        )
        found: dict[str, list[tuple[str, str | None]]] = {}
        for hit in res["hits"]["hits"]:
            created = (hit.get("_source") or {}).get("created_at")
            found.setdefault(hit["_id"], []).append((hit["_index"], created))
        return found

    def _note_change(self, what: str, min_created: datetime | None) -> None:
        """Leave a trace of a change that `indexed_at` cannot show (a post gone, or moved in
        time), so kept timeline parts from before `min_created` (None: all) are dropped."""
        self._call(
            "note change",
            self.es.index,
            index=self.changes_index,
            refresh=True,
            document={
                "at": datetime.now(UTC).isoformat(),
                "min_created": min_created.isoformat() if min_created else None,
                "what": what,
            },
        )
        self._watch.expire()

    def _change_marks(self, since: float) -> list[tuple[float, float]]:
        """(when, earliest created_at touched) of the writes since `since` (epoch seconds)."""
        since_ms = int(since * 1000)
        posts = self._call(
            "read changes",
            self.es.search,
            index=self.alias,
            size=0,
            query={"range": {"indexed_at": {"gte": since_ms, "format": "epoch_millis"}}},
            aggs={
                "s": {
                    "date_histogram": {
                        "field": "indexed_at",
                        "fixed_interval": "1s",
                        "min_doc_count": 1,
                    },
                    "aggs": {"m": {"min": {"field": "created_at"}}},
                }
            },
            **_NOT_FOUND_OK,
        )
        changes = self._call(
            "read changes",
            self.es.search,
            index=self.changes_index,
            size=10_000,
            query={"range": {"at": {"gte": since_ms, "format": "epoch_millis"}}},
            **_NOT_FOUND_OK,
        )
        return marks_from(dict(posts), dict(changes))

    def upsert(self, posts: Sequence[Post]) -> int:
        """Bulk index by post id; 429s and node outages are retried, bad documents reported."""
        if not posts:
            return 0
        self.ensure_ready()
        latest: dict[str, Post] = {p.id: p for p in posts}
        now = datetime.now(UTC).isoformat()
        target = {pid: self.month_index(p.created_at) for pid, p in latest.items()}
        located = self._locate(list(latest))
        stale = {pid: [i for i, _ in where if i != target[pid]] for pid, where in located.items()}
        moved = [  # an earlier created_at no longer counts where it did
            created
            for pid, where in located.items()
            for _, created in where
            if not created or datetime.fromisoformat(created) != latest[pid].created_at
        ]
        if moved:
            self._note_change("moved", _earliest(moved))
        actions: dict[str, list[dict[str, Any]]] = {}
        for pid, post in latest.items():
            ops: list[dict[str, Any]] = [
                {"_op_type": "delete", "_index": old, "_id": pid} for old in stale.get(pid, [])
            ]
            ops.append(
                {
                    "_op_type": "index",
                    "_index": target[pid],
                    "_id": pid,
                    "_source": self._doc(post, now),
                }
            )
            actions[pid] = ops
        rejected: dict[str, str] = {}
        pending = dict(actions)

        def send() -> None:
            """One bulk pass over `pending`; 429/5xx documents stay pending (and are retried)."""
            nonlocal pending
            retry: dict[str, list[dict[str, Any]]] = {}
            results = streaming_bulk(
                self.es.options(request_timeout=120),
                (op for pid in pending for op in pending[pid]),
                chunk_size=1000,
                raise_on_error=False,  # per-document outcomes are sorted out below
                raise_on_exception=True,
                refresh=self.refresh_policy,
            )
            try:
                for ok, item in results:
                    if ok:
                        continue
                    kind, info = next(iter(item.items()))
                    status = int(info.get("status", 0))
                    if kind == "delete" and status == 404:
                        continue
                    pid = str(info.get("_id", ""))
                    if status in _RETRYABLE_STATUS:
                        retry[pid] = pending[pid]
                    else:
                        error = info.get("error", status)
                        rejected[pid] = json.dumps(error, ensure_ascii=False)[:500]
            except (ApiError, TransportError) as exc:
                raise translate(exc, "bulk") from exc
            pending = retry
            if retry:
                raise _BulkPartial(
                    f"elasticsearch bulk: {len(retry)} posts met 429/5xx: {sorted(retry)[:20]}"
                )

        self.retry.call(send, retry_on=StoreUnavailable, what="elasticsearch bulk")
        written = len(latest) - len(rejected)
        if rejected:
            raise RejectedPosts(rejected, written=written)
        return written

    def refresh(self) -> None:
        self._call(
            "refresh",
            self.es.indices.refresh,
            index=[self.alias, self.audit_index, self.changes_index],
            **_NOT_FOUND_OK,
        )
        self._watch.expire()

    def _audit(self, action: str, target: str, count: int, actor: str | None) -> None:
        self.ensure_ready()
        now = datetime.now(UTC)
        self._call(
            "audit",
            self.es.index,
            index=self.audit_index,
            refresh=True,
            document={
                "at": now.isoformat(),
                "seq": time.time_ns(),
                "action": action,
                "target": target,
                "count": count,
                "actor": actor,
            },
        )

    def delete(self, post_id: str, actor: str | None = None) -> bool:
        self.ensure_ready()
        self.refresh()
        where = self._locate([post_id]).get(post_id, [])
        for index, _ in where:
            self._call(
                "delete", self.es.delete, index=index, id=post_id, refresh=True, missing=None
            )
        if where:
            self._note_change("delete_post", _earliest(c for _, c in where))
        self._audit("delete_post", post_id, len(where[:1]), actor)
        return bool(where)

    def delete_by_author(
        self, author: str, source: str | None = None, actor: str | None = None
    ) -> int:
        """Find the author's posts (any case) and bulk-delete them: no reindex module needed."""
        targets = list(self._author_hits(author, source, ["created_at"]))
        deleted = 0
        for i in range(0, len(targets), 1000):
            chunk = targets[i : i + 1000]
            ops = [{"delete": {"_index": h["_index"], "_id": h["_id"]}} for h in chunk]
            res = self._call("bulk delete", self.es.bulk, operations=ops, refresh=True)
            deleted += sum(1 for it in res["items"] if it["delete"].get("status") == 200)
        if targets:
            created = (h.get("_source", {}).get("created_at") for h in targets)
            self._note_change("delete_author", _earliest(created))
        self._audit("delete_author", f"{source or '*'}:{author}", deleted, actor)
        return deleted

    def author_post_ids(self, author: str, source: str | None = None) -> list[str]:
        return list(dict.fromkeys(str(h["_id"]) for h in self._author_hits(author, source, False)))

    def _author_hits(
        self, author: str, source: str | None, fields: bool | list[str]
    ) -> Iterator[dict[str, Any]]:
        self.ensure_ready()
        self.refresh()
        filters: list[dict[str, Any]] = [{"term": {"author_lc": author.lower()}}]
        if source:
            filters.append({"term": {"source": source}})
        return self._scan({"bool": {"filter": filters}}, source=fields)

    def audit_log(self, limit: int = 100) -> list[dict[str, Any]]:
        self.ensure_ready()
        res = self._call(
            "audit log",
            self.es.search,
            index=self.audit_index,
            size=limit,
            sort=[{"seq": "desc"}],
            **_NOT_FOUND_OK,
        )
        out = []
        for hit in res["hits"]["hits"]:
            s = hit["_source"]
            out.append(
                {
                    "at": datetime.fromisoformat(s["at"]),
                    "action": s["action"],
                    "target": s["target"],
                    "count": s["count"],
                    "actor": s.get("actor"),
                }
            )
        return out

    def drop_before(self, cutoff: datetime) -> list[str]:
        """Retention: delete monthly indices whose whole month is before `cutoff`'s month."""
        keep_from = self.month_index(cutoff)
        dropped = [i for i in self.post_indices() if i < keep_from]
        for index in dropped:
            self._call("drop index", self.es.indices.delete, index=index)
            log.info("es.index_dropped", index=index)
        if dropped:
            self._note_change("drop_before", None)
        return dropped

    def drop_all(self) -> None:
        """Delete every index and the template this store created (tests, `duluan reset`)."""
        indices = [
            *self.post_indices(),
            self.audit_index,
            self.changes_index,
            self.legacy_runs_index,  # written by versions before 0003 of the metadata database
        ]
        for index in indices:
            self._call("drop index", self.es.indices.delete, index=index, missing=None)
        self._call(
            "drop template", self.es.indices.delete_index_template, name=self.template, missing=None
        )
        self._ready = False
        self._watch.expire()

    # -- reads -----------------------------------------------------------------------------
    def get(self, post_id: str) -> Post | None:
        res = self._call(
            "get",
            self.es.search,
            index=self.alias,
            query={"ids": {"values": [post_id]}},
            size=1,
            source=["post"],
            **_NOT_FOUND_OK,
        )
        hits = res["hits"]["hits"]
        return Post.from_stored(hits[0]["_source"]["post"]) if hits else None

    def _timed(self) -> dict[str, Any]:
        """The search `timeout` of a query-driven read (none when the limit is off)."""
        limit = store_time_limit_ms(self.query_timeout_ms)
        return {"timeout": f"{limit}ms"} if limit > 0 else {}

    def _check_timed_out(self, res: Any) -> None:
        """Shards that stopped at `timeout` return partial answers: refuse them instead."""
        limit = store_time_limit_ms(self.query_timeout_ms)
        if limit > 0 and res.get("timed_out"):
            raise QueryTimedOut(
                f"Elasticsearch stopped this query after {limit} ms "
                "(store_query_timeout_ms): narrow it (fewer terms or wildcards, a shorter "
                "time range)"
            )

    def count(self, query: SearchQuery) -> int:
        res = self._call(
            "count",
            self.es.count,
            index=self.alias,
            query=compile_query(query),
            rejected=QueryRejected,
            **_NOT_FOUND_OK,
        )
        return int(res["count"])

    @staticmethod
    def _sort(sort: str) -> list[dict[str, Any]]:
        if sort == "oldest":
            return [{"created_at": "asc"}, {"id": "asc"}]
        if sort == "relevance":
            return [{"_score": "desc"}, {"created_at": "desc"}, {"id": "desc"}]
        return [{"created_at": "desc"}, {"id": "desc"}]

    TOTAL_CAP = 10_000

    def search(self, query: SearchQuery) -> SearchPage:
        search_after = _decode_cursor(query.cursor) if query.cursor else None
        body: dict[str, Any] = {
            "query": compile_query(query),
            "sort": self._sort(query.sort),
            "size": query.limit + 1,
            # counting every match of a very common term is most of a search's cost; past
            # TOTAL_CAP the total is a lower bound (`total_exact`), as on SQLite
            "track_total_hits": self.TOTAL_CAP,
            "source": ["post"],
        }
        if search_after is not None:
            body["search_after"] = search_after
        res = self._call(
            "search",
            self.es.search,
            index=self.alias,
            rejected=QueryRejected,
            **body,
            **self._timed(),
            **_NOT_FOUND_OK,
        )
        self._check_timed_out(res)
        raw = res["hits"]["hits"]
        more = len(raw) > query.limit
        raw = raw[: query.limit]
        terms = positive_terms(query.ast())
        hits = []
        for h in raw:
            post = Post.from_stored(h["_source"]["post"])
            hits.append(
                SearchHit(
                    post=post,
                    score=h.get("_score") if query.sort == "relevance" else None,
                    snippet=snippet(post.text, terms) if terms else None,
                )
            )
        next_cursor = _encode_cursor(raw[-1]["sort"]) if more and raw else None
        total = res["hits"]["total"]
        return SearchPage(
            hits=hits,
            total=int(total["value"]),
            next_cursor=next_cursor,
            total_exact=total.get("relation", "eq") == "eq",
        )

    def _scan(
        self,
        query: dict[str, Any],
        *,
        sort: str = "newest",
        batch_size: int = 1000,
        source: bool | list[str] = True,
    ) -> Iterator[dict[str, Any]]:
        """Every hit of a query through a point-in-time and search_after: no 10k window cap."""
        opened = self._call(
            "open pit",
            self.es.open_point_in_time,
            index=self.alias,
            keep_alive="2m",
            ignore_unavailable=True,
            missing=None,
        )
        if opened is None:
            return
        pit = opened["id"]
        try:
            after: list[Any] | None = None
            while True:
                kwargs: dict[str, Any] = {}
                if after is not None:
                    kwargs["search_after"] = after
                res = self._call(
                    "scan",
                    self.es.search,
                    query=query,
                    sort=[*self._sort(sort), {"_shard_doc": "asc"}],
                    size=batch_size,
                    pit={"id": pit, "keep_alive": "2m"},
                    source=source,
                    track_total_hits=False,
                    rejected=QueryRejected,
                    **kwargs,
                )
                pit = res.get("pit_id", pit)
                hits = res["hits"]["hits"]
                yield from hits
                if len(hits) < batch_size:
                    return
                after = hits[-1]["sort"]
        finally:
            with contextlib.suppress(ApiError, TransportError):
                self.es.close_point_in_time(id=pit)

    def iter_posts(self, query: SearchQuery, batch_size: int = 1000) -> Iterator[Post]:
        sort = "newest" if query.sort == "relevance" else query.sort
        for hit in self._scan(
            compile_query(query), sort=sort, batch_size=min(batch_size, 10_000), source=["post"]
        ):
            yield Post.from_stored(hit["_source"]["post"])

    def _aggs(self, query: SearchQuery, aggs: dict[str, Any]) -> dict[str, Any]:
        res = self._call(
            "aggregate",
            self.es.search,
            index=self.alias,
            query=compile_query(query),
            size=0,
            aggs=aggs,
            rejected=QueryRejected,
            **self._timed(),
            **_NOT_FOUND_OK,
        )
        self._check_timed_out(res)
        return dict(res.get("aggregations") or {})

    def timeline(
        self, query: SearchQuery, interval: Interval = "day", split: Split | None = None
    ) -> list[Bucket]:
        if self._cold is None:
            return self._timeline_live(query, interval, split)
        return self._cold.timeline(query, interval, split)

    def _timeline_live(
        self, query: SearchQuery, interval: Interval, split: Split | None
    ) -> list[Bucket]:
        hist: dict[str, Any] = {
            "date_histogram": {
                "field": "created_at",
                "calendar_interval": interval,
                "min_doc_count": 1,
                "time_zone": "UTC",
            }
        }
        if split is not None:
            terms: dict[str, Any] = {"field": _SPLIT_FIELD[split], "size": 500}
            if split != "topic":
                terms["missing"] = "unknown"
            hist["aggs"] = {"split": {"terms": terms}}
        aggs = self._aggs(query, {"t": hist})
        out: list[Bucket] = []
        for b in aggs.get("t", {}).get("buckets", []):
            bucket = Bucket(start=_ms_to_dt(b["key"]), count=int(b["doc_count"]))
            if split is not None:
                bucket.split = {s["key"]: int(s["doc_count"]) for s in b["split"]["buckets"]}
            out.append(bucket)
        return out

    def _terms(self, field: str, query: SearchQuery, limit: int) -> list[tuple[str, int]]:
        aggs = self._aggs(
            query,
            {
                "v": {
                    "terms": {
                        "field": field,
                        "size": limit,
                        "shard_size": max(100, limit * 20),
                        "order": [{"_count": "desc"}, {"_key": "asc"}],
                    }
                }
            },
        )
        return [(b["key"], int(b["doc_count"])) for b in aggs.get("v", {}).get("buckets", [])]

    def top_topics(self, query: SearchQuery, limit: int = 10) -> list[tuple[str, int]]:
        return self._terms("topics", query, limit)

    def top_keywords(self, query: SearchQuery, limit: int = 20) -> list[tuple[str, int]]:
        return self._terms("keywords", query, limit)

    def keyword_counts(self, query: SearchQuery, terms: Sequence[str]) -> dict[str, int]:
        """Posts per term among matches: one terms aggregation restricted to exactly `terms`."""
        out: dict[str, int] = {}
        wanted = list(dict.fromkeys(terms))
        for start in range(0, len(wanted), 1000):
            chunk = wanted[start : start + 1000]
            aggs = self._aggs(
                query,
                {"v": {"terms": {"field": "keywords", "include": chunk, "size": len(chunk)}}},
            )
            out.update(
                (b["key"], int(b["doc_count"])) for b in aggs.get("v", {}).get("buckets", [])
            )
        return out

    def top_entities(
        self, query: SearchQuery, limit: int = 10, sample: int = 5000
    ) -> list[tuple[str, str, int]]:
        """Entities are not indexed as a field: counted over the newest `sample` matches."""
        return super().top_entities(query, limit, sample)

    def top_values(self, field: str, query: SearchQuery, limit: int = 10) -> list[tuple[str, int]]:
        return self._terms(_VALUE_FIELD[field], query, limit)

    def trending_terms(
        self,
        query: SearchQuery,
        window: timedelta = timedelta(hours=24),
        limit: int = 20,
        now: datetime | None = None,
    ) -> list[tuple[str, float, int]]:
        """Keywords unusually common in the last `window` vs all matches (significant_terms)."""
        end = now or datetime.now(UTC)
        recent = query.model_copy(update={"since": end - window, "until": end})
        background = compile_query(query.model_copy(update={"since": None, "until": None}))
        aggs = self._aggs(
            recent,
            {
                "sig": {
                    "significant_terms": {
                        "field": "keywords",
                        "size": limit,
                        "min_doc_count": 2,
                        "background_filter": background,
                    }
                }
            },
        )
        return [
            (b["key"], float(b["score"]), int(b["doc_count"]))
            for b in aggs.get("sig", {}).get("buckets", [])
        ]

    def close(self) -> None:
        self.es.close()

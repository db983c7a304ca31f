"""Scrapy settings for duluan's crawlers (scrapy.cfg points here); polite by default.

Every duluan-specific key is listed here with its default. Set `DULUAN_POLITE=0` to turn off
robots.txt, AutoThrottle, delays and per-domain limits at once (benchmarks, local tests only).
"""

from __future__ import annotations

from duluan.core.settings import get_settings

BOT_NAME = "duluan"
SPIDER_MODULES = ["crawlers.spiders"]
NEWSPIDER_MODULE = "crawlers.spiders"

# --- politeness --------------------------------------------------------------------------------
ROBOTSTXT_OBEY = True
USER_AGENT = get_settings().user_agent
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_DELAY = 0.25
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
DOWNLOAD_TIMEOUT = 30

# --- retries with exponential backoff on 429 / 5xx / network errors ----------------------------
RETRY_ENABLED = True
RETRY_TIMES = 3
RETRY_HTTP_CODES = [429, 500, 502, 503, 504, 522, 524, 408]
RETRY_BACKOFF_BASE = 1.0  # seconds; delay = base * 2 ** (attempt - 1), capped, Retry-After wins
RETRY_BACKOFF_MAX = 60.0
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.retry.RetryMiddleware": None,
    "crawlers.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "crawlers.middlewares.SafeRobotsTxtMiddleware": 100,
}
SPIDER_MIDDLEWARES = {
    "crawlers.lease.SourceLeaseMiddleware": 10,  # one crawl per source across replicas
}

# --- items -------------------------------------------------------------------------------------
ITEM_PIPELINES = {
    "crawlers.pipelines.DedupPipeline": 100,
    "crawlers.pipelines.PublishPipeline": 800,
}
FEED_EXPORT_ENCODING = "utf-8"
FEED_EXPORTERS = {
    "json": "crawlers.exporters.PostJsonItemExporter",
    "jsonlines": "crawlers.exporters.PostJsonLinesItemExporter",
    "jsonl": "crawlers.exporters.PostJsonLinesItemExporter",
}
EXTENSIONS = {
    "crawlers.health.SourceHealthExtension": 500,
}

# --- duluan switches (also read from the environment) ------------------------------------------
DULUAN_POLITE = True  # False: no robots.txt, no throttling, high concurrency
DULUAN_PUBLISH = True  # publish Posts to the bus (settings.raw_topic)
DULUAN_PUBLISH_FLUSH_EVERY = 500  # bus flush every N items (and on close)
DULUAN_RECORD_HEALTH = True  # record a SourceRun in the metadata database when it closes
DULUAN_INCREMENTAL = True  # remember what was seen and skip it on the next run
DULUAN_LEASE = True  # take the source's lease in the metadata database, or skip the run
DULUAN_STATS_FILE = ""  # write final stats as JSON here (used by crawlers.runner)

# --- sources (API hosts; tests point these at a local server) ----------------------------------
VNEXPRESS_API_BASE = "https://usi-saas.vnexpress.net"
VNEXPRESS_PAGE_SIZE = 25
VNEXPRESS_SITE_ID = 1000000
TUOITRE_API_BASE = "https://id.tuoitre.vn"
TUOITRE_PAGE_SIZE = 20
DANTRI_API_BASE = "https://comment.dantri.com.vn"
DANTRI_PAGE_SIZE = 20
VOZ_MAX_THREADS = 50  # threads taken per listing page
REDDIT_API_BASE = "https://www.reddit.com"
REDDIT_SUBREDDITS = ["VietNam"]
YOUTUBE_API_BASE = "https://www.googleapis.com/youtube/v3"
YOUTUBE_API_KEY = ""  # falls back to DULUAN_YOUTUBE_API_KEY
YOUTUBE_VIDEO_IDS: list[str] = []
RSS_FEEDS: list[str] = []

REQUEST_FINGERPRINTER_IMPLEMENTATION = "2.7"
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
LOG_LEVEL = "INFO"
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # no control port on crawler hosts

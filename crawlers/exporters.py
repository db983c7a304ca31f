"""Feed exporters that write a Post as its own JSON (aware ISO timestamps), not Scrapy's repr."""

from __future__ import annotations

from typing import Any

from scrapy.exporters import JsonItemExporter, JsonLinesItemExporter

from duluan.core.models import Post


class PostJsonLinesItemExporter(JsonLinesItemExporter):
    """One Post per line, exactly `Post.to_json()`; other items fall back to Scrapy's encoder."""

    def export_item(self, item: Any) -> None:
        if isinstance(item, Post):
            self.file.write(item.to_json() + b"\n")
        else:
            super().export_item(item)


class PostJsonItemExporter(JsonItemExporter):
    """A JSON array of Posts, each as `Post.to_json()`."""

    def export_item(self, item: Any) -> None:
        if not isinstance(item, Post):
            super().export_item(item)
            return
        if self.first_item:
            self.first_item = False
        else:
            self.file.write(b",")
            self._beautify_newline()
        self.file.write(item.to_json())

"""Scrapy project: one spider per source; an item pipeline publishes Posts to the bus."""

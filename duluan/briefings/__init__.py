"""Briefings: a watchlist's period report (HTML / PDF, Vietnamese or English) and schedules.

`build_briefing` computes the figures, `render_html` / `render_pdf` draw them, and
`BriefingScheduler.run_due(now)` delivers scheduled ones by webhook or email.
"""

"""Direct feedback: campaigns with a public form whose submissions become `feedback` Posts.

Submissions go onto the bus like crawled posts, so NLP, the store, alerts and briefings see
them; each campaign has a watchlist `thread:"feedback:campaign:<slug>"` for its owner.
"""

"""Vietnamese text analysis usable as a library: `from nlp import analyze`."""

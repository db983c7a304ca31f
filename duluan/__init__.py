"""The composition root: the `duluan` CLI wires every stage together."""

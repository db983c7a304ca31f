"""duluan: monitor Vietnamese public opinion. Domains live in one folder each under this package."""

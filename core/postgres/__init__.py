"""PostgreSQL as Django's backend, failing fast while the database cannot be reached."""

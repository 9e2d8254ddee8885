"""The benchmark (`make bench`): not a test, never collected by pytest."""

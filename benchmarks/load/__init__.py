"""The Locust load test of the production set-up (see README.md here)."""

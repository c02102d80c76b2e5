"""Tests of the notifications package, and stand-ins other suites reuse."""

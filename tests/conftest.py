"""Shared fixtures for arxl's tests."""

"""Offline tuning: learn each tier's acceptance threshold (and a pre-router) from data."""

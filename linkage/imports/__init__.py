"""Residents imported from spreadsheets: template, preview and all-or-nothing import."""

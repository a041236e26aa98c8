"""Alpaca's v2 protocols over our own services: `/api/v2` REST, `/stream`, the market-data stream.

Thin presenters only: every write goes through `trading.services`, every read through the
selectors; this package translates names, shapes, times (UTC with `Z`) and errors (Alpaca's
numeric codes) so that the official `alpaca-py` SDK works by changing only its base URL.
"""

"""`/v2`: Alpaca's trading and market-data REST APIs, one module per resource.

Each view reads Alpaca's request (an input serializer for bodies, `alpaca_adapter.parsing` for
query strings), calls the same service `/api/v1`, the pages and the admin call, reads through
selectors, and answers with a presenter. Refusals answer in Alpaca's error shape
(`alpaca_adapter.errors`).
"""

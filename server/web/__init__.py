"""The review desk: server-rendered pages over the same core as the CLI and the MCP server.

`app.create_app` builds the Starlette app; each page module (book, accounts, proposals) exports
`ROUTES` and `NAV` and is listed in `app.SECTIONS`, so a new page (portfolio, backtest) is one module
and one line there, and the navigation lists only pages that exist.
"""

"""The MCP tools, grouped in toolsets (one module each); a toolset registers its tools on a server."""

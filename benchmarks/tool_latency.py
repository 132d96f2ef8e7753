"""Tool latency as an MCP client sees it: p50/p95 of score_account and build_proposal over stdio.

Spawns `python -m server.cli serve` on the bundled demo workspace, warms it with one rank (which
computes the segment benchmarks once), then calls each tool once per account across N different
accounts, timing the round trip in the SDK client. build_proposal uses the offline template drafter.

    python benchmarks/tool_latency.py [--calls 50]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

TARGETS_MS = {"build_proposal": 150.0}
ARGUMENTS: dict[str, dict[str, Any]] = {"score_account": {}, "build_proposal": {"drafter": "template"}}


def percentiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[94]


async def measure(calls: int) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"HOME": tmp, "XDG_DATA_HOME": tmp, "EXPANSION_DESK_DRAFTER__MODE": "template"}
        server = StdioServerParameters(command=sys.executable, args=["-m", "server.cli", "serve"], env=env, cwd=tmp)
        async with Client(server) as client:
            served = {t.name for t in (await client.list_tools()).tools}
            ranked = await client.call_tool("rank_accounts", {"limit": calls})
            accounts = [row["account_id"] for row in (ranked.structured_content or {})["accounts"]]
            missed = 0
            for tool, extra in ARGUMENTS.items():
                if tool not in served:
                    print(f"{tool:15s} not served by this build: not measured")
                    continue
                samples = []
                for account_id in accounts:
                    started = time.perf_counter()
                    result = await client.call_tool(tool, {"account_id": account_id, **extra})
                    samples.append((time.perf_counter() - started) * 1000)
                    if result.is_error:
                        raise SystemExit(f"{tool}({account_id}) failed: {result.content}")
                p50, p95 = percentiles(samples)
                target = TARGETS_MS.get(tool)
                verdict = ""
                if target is not None:
                    verdict = f"  target p95 < {target:.0f} ms: {'met' if p95 < target else 'MISSED'}"
                    missed += p95 >= target
                print(f"{tool:15s} n={len(samples)}  p50 {p50:6.1f} ms  p95 {p95:6.1f} ms{verdict}")
            return 1 if missed else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50, help="accounts per tool (each a different account)")
    args = parser.parse_args()
    sys.exit(anyio.run(measure, args.calls))


if __name__ == "__main__":
    main()

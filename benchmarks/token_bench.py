"""Benchmark: POST /oauth2-token beside bare RS256 signing with and without the one read.

    python benchmarks/token_bench.py [--database sqlite|postgresql] [--seconds S] [--rounds N]
                                     [--no-pin] [--database-uri URI]

The references (benchmarks/bare_jwt_app.py) sign a token of the same shape with the same key and
answer like the token endpoint; "+ read" first reads the client's row once. All three get the
same client-credentials POST (Basic credentials). Target: at least 80 % of "sign + read".
"""

import base64
import sys

import harness
import ratios


def targets(stack: harness.Stack) -> list[harness.Target]:
    basic = base64.b64encode(f"{stack.client_id}:{stack.secret}".encode()).decode()
    headers = {
        "Authorization": f"Basic {basic}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    script = harness.wrk_script(
        stack.workdir / "token.lua", "POST", headers, "grant_type=client_credentials"
    )
    return [
        harness.Target("POST /oauth2-token", stack.url(stack.ours, "/oauth2-token"), script),
        harness.Target("bare sign + read", stack.url(stack.bare_jwt, "/token-read"), script),
        harness.Target("bare RS256 sign", stack.url(stack.bare_jwt, "/token"), script),
    ]


TOKEN = ratios.Benchmark("POST /oauth2-token", 0.80, targets)

if __name__ == "__main__":
    sys.exit(ratios.main(__doc__, [TOKEN]))

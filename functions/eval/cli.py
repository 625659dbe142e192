"""`eco2 eval`: the evaluation runner's command line (operator tooling, run from a checkout).

    eco2 eval [--provider offline|openai|gemini] [--model M] [--judge-model M] [--out DIR]
              [--baseline PATH]

Offline by default (no key; the judge is the heuristic one). A remote provider needs its key
(`ECO2_OPENAI_API_KEY`, `ECO2_GEMINI_API_KEY`) or base URL, as the mesh does. Exit status: 0,
or 3 when the run regressed against the previous one, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

PROVIDERS = {"offline": "offline", "openai": "gpt-5-mini", "gemini": "gemini-2.5-flash"}
REGRESSED = 3


def add_parser(commands: Any) -> None:
    run = commands.add_parser("eval", help="grade scan and chat answers over the golden sets")
    run.add_argument("--provider", choices=sorted(PROVIDERS), default="offline")
    run.add_argument("--model", help="the answering model (default: the provider's)")
    run.add_argument("--judge-model", help="the judge's model (default: --model)")
    run.add_argument("--out", type=Path, default=Path("eval-report"))
    run.add_argument("--baseline", type=Path, help="a previous report.json (default: --out's)")


def run(args: argparse.Namespace) -> int:
    from functions.eval.errors import EvalError

    try:
        result = asyncio.run(_run(args))
    except EvalError as exc:
        print(f"eco2 eval: {exc}", file=sys.stderr)
        return 2
    return REGRESSED if result["regressions"]["regressed"] else 0


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    # ruff: noqa: PLC0415 - the runner and its dependencies load only for this command
    from functions.eval import plots, report, runner
    from functions.eval.errors import EvalUsageError
    from functions.kit.llm.client import LLMClient, provider_for
    from functions.kit.llm.wiring import build_providers
    from functions.kit.settings import Settings
    from functions.scan.knowledge.loader import load_knowledge

    model = args.model or PROVIDERS[args.provider]
    judge_model = args.judge_model or model
    for chosen in (model, judge_model):
        if provider_for(chosen) != args.provider:
            raise EvalUsageError(f"model {chosen!r} is not served by provider {args.provider!r}")
    providers = build_providers(Settings())
    if args.provider not in providers:
        raise EvalUsageError(f"provider {args.provider!r} is not configured (its key or URL)")
    llm = LLMClient(providers, allowed_models=[model, judge_model], default_model=model)
    config = runner.RunConfig(args.provider, model, judge_model, args.out, args.baseline)
    before = runner.previous(config)
    result = await runner.evaluate(load_knowledge(), llm, config)
    result["regressions"] = report.regressions(result, before)
    args.out.mkdir(parents=True, exist_ok=True)
    names = plots.draw(result, args.out)
    (args.out / runner.REPORT_JSON).write_text(
        json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    (args.out / "report.md").write_text(report.markdown(result, names), encoding="utf-8")
    print(f"eco2 eval: wrote {args.out / 'report.md'}")
    return result

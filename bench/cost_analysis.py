"""Monthly AWS cost of Admit for 1,000 and 100,000 active users, written to docs/COST_ANALYSIS.md.

    .venv/bin/python bench/cost_analysis.py            # write the doc, print the totals
    .venv/bin/python bench/cost_analysis.py --check    # exit 1 if the doc on disk is stale

Prices (PRICES) and assumptions (INPUTS, ACTIONS, ASSUMED) are the inputs; memory sizes,
architecture, sweeper rate, log retention, PDF expiry and alarms are read from serverless.yml
and infra/*.yml, so a change there shows up in `--check`.
"""

from __future__ import annotations

import argparse
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "COST_ANALYSIS.md"
CHECKED = "2026-11-25"
REGION = "eu-west-1"
GIB = 2**30  # AWS bills GB as 2^30 bytes
SOURCES = {
    "list": "AWS Price List offer files for eu-west-1 (published 2026-09-11 .. 2026-10-02), as "
    "snapshotted in github.com/henderjm/world-cup-sweepstake `docs/costs/aws-ireland-rates.json` "
    "and github.com/mamtha4u/SDLC `backend/config/pricing_eu-west-1.json`",
    "lambda": "aws.amazon.com/lambda/pricing, free tier sentence (transcribed 2026-09-20 in "
    "github.com/api-evangelist/aws-lambda `plans/aws-lambda-plans-pricing.yml`)",
    "cf": "aws.amazon.com/cloudfront/pricing (stored copy): Europe first-10 TB, Always Free Tier",
    "cognito": "aws.amazon.com/cognito/pricing worked examples, US East (transcribed 2026-09-20 in "
    "github.com/api-evangelist/amazon-cognito); default plan Essentials: Cognito developer guide, "
    "'User pool feature plans'",
    "ses": "AWS Price List AmazonSES us-east-1, 2026-07-22 (transcribed in "
    "github.com/api-evangelist/amazon-ses `plans/amazon-ses-plans-pricing.yml`)",
    "ssm": "AWS Systems Manager API reference, GetParameter note: standard throughput 'without "
    "additional cost'",
    "eb": "cloudburn.io 'Amazon EventBridge Pricing' (March 2026, us-east-1)",
    "streams": "aws.amazon.com/dynamodb/pricing/on-demand: GetRecords calls made by Lambda "
    "for a DynamoDB trigger are free",
    "cw": "CloudWatch always-free allowances, transcribed in github.com/api-evangelist/cloudwatch",
    "stripe": "support.stripe.com 'Pricing updates for businesses based in the EEA' (2023-04-10)",
    "-": "best-known published figure",
}


@dataclass(frozen=True)
class Price:
    service: str
    item: str
    usd: float  # per `unit`; a unit such as "1M requests" or "1,000 PUT" counts that many
    unit: str
    free: float  # always-free quantity a month (0: none, or only a 12-month tier)
    status: str
    source: str  # SOURCES keys joined by "+"
    checked: str = CHECKED

    @property
    def per(self) -> float:
        head = self.unit.split()[0]
        return 1e6 if head == "1M" else float(head.replace(",", "")) if head[0].isdigit() else 1

    def cells(self, refs: dict[str, int]) -> list[object]:
        free = f"{_n(self.free)} {_base(self.unit)}" if self.free else "-"
        cite = "".join(f"[{refs[k]}]" for k in self.source.split("+"))
        usd = f"{self.usd:.10f}".rstrip("0").rstrip(".")
        status = STATUS_NOTES.get(self.status, self.status)
        return [self.service, self.item, usd, self.unit, free, status, self.checked, cite]


C, U = "confirmed", "(unconfirmed)"
CUS = "confirmed for us-east-1; eu-west-1 (unconfirmed)"
P = Price
PRICES: dict[str, Price] = {
    "lambda_req": P("Lambda", "requests", 0.20, "1M requests", 1e6, C, "list+lambda"),
    "lambda_arm": P("Lambda", "compute, arm64", 0.0000133334, "GB-s", 4e5, C, "list+lambda"),
    "lambda_x86": P("Lambda", "compute, x86_64 (unused)", 0.0000166667, "GB-s", 4e5, C, "list"),
    "apigw": P("API Gateway HTTP API", "requests (first 300M)", 1.11, "1M requests", 0, C, "list"),
    "ddb_wru": P("DynamoDB on-demand", "write request units", 0.705, "1M WRU", 0, C, "list"),
    "ddb_rru": P("DynamoDB on-demand", "read request units", 0.1415, "1M RRU", 0, C, "list"),
    "ddb_gb": P("DynamoDB on-demand", "storage", 0.283, "GB-month", 25, C, "list"),
    "ddb_pitr": P("DynamoDB on-demand", "PITR backup", 0.22, "GB-month", 0, C, "list"),
    "s3_gb": P("S3", "Standard storage", 0.023, "GB-month", 0, C, "list"),
    "s3_put": P("S3", "PUT requests", 0.005, "1,000 PUT", 0, C, "list"),
    "s3_get": P("S3", "GET requests", 0.0004, "1,000 GET", 0, C, "list"),
    "cf_gb": P("CloudFront", "data out, Europe/US", 0.085, "GB", 1024, C, "cf"),
    "cf_req": P("CloudFront", "HTTPS requests, Europe", 0.012, "10,000 requests", 1e7, "[b]", "cf"),
    "cognito_essentials": P("Cognito", "MAU, Essentials", 0.015, "MAU", 1e4, CUS, "cognito"),
    "cognito_lite": P("Cognito", "MAU, Lite", 0.0055, "MAU", 1e4, CUS, "cognito"),
    "ses_mail": P("SES", "outbound mail (a la carte)", 0.10, "1,000 mails", 0, CUS, "ses"),
    "ses_att": P("SES", "attachments", 0.12, "GB", 0, CUS, "ses"),
    "streams": P("DynamoDB Streams", "reads by the Lambda trigger", 0, "1M reads", 0, U, "streams"),
    "ssm": P("SSM Parameter Store", "standard tier and throughput", 0, "10,000 calls", 0, C, "ssm"),
    "ssm_high": P(
        "SSM Parameter Store", "higher throughput (off)", 0.05, "10,000 calls", 0, U, "-"
    ),
    "logs_in": P("CloudWatch Logs", "ingestion", 0.57, "GB", 5, "[c]", "list+cw"),
    "logs_gb": P("CloudWatch Logs", "storage", 0.03, "GB-month", 0, C, "list"),
    "alarms": P("CloudWatch", "alarm metrics", 0.10, "alarm metric-month", 10, "[c]", "list+cw"),
    "metrics": P(
        "CloudWatch",
        "metrics: HTTP API detailed + log filters",
        0.30,
        "metric-month",
        10,
        C,
        "list+cw",
    ),
    "dashboards": P("CloudWatch", "dashboards", 3.00, "dashboard-month", 3, "[c]", "cw"),
    "eb_rule": P("EventBridge", "scheduled-rule runs", 0, "1M invocations", 0, U, "-"),
    "eb_sched": P(
        "EventBridge Scheduler", "runs (alternative)", 1.00, "1M invocations", 14e6, U, "eb"
    ),
}
STATUS_NOTES = {
    "[b]": "price (unconfirmed); the free tier confirmed",
    "[c]": "price confirmed; the free allowance (unconfirmed)",
}
STRIPE = {"percent": 1.5, "fixed_eur": 0.25}  # per card payment; status and source below
FEE = f"{STRIPE['percent']}% + EUR {STRIPE['fixed_eur']:.2f}"
STRIPE_CELLS = ["Stripe (not AWS)", "standard EEA card", FEE, "card payment", "-", C]


# Per-scenario inputs: name -> (1k value, 100k value, why). Every active user signs in, so
# each is a Cognito MAU.
INPUTS: dict[str, tuple[float, float, str]] = {
    "users": (1_000, 100_000, "monthly active users: the two sizes the issue asks for"),
    "events": (20, 2_000, "events published a month: about 50 active users per event"),
    "signup_share": (0.3, 0.3, "share of active users new this month: buyers are occasional"),
    "page_views": (12, 12, "per user a month: browse, event page, register, my tickets"),
    "registrations": (0.6, 0.6, "per user a month: not every visitor buys, some buy twice"),
    "tickets_per_registration": (1.8, 1.8, "mostly 1-2 seats, some groups"),
    "paid_share": (0.5, 0.5, "share of registrations that are paid: meetups and concerts"),
    "ticket_price_eur": (25, 25, "the flash-sale bench's paid event (docs/BENCHMARKS.md)"),
    "checkins_per_ticket": (0.9, 0.9, "about 10% no-shows"),
    "downloads_per_ticket": (1, 1, "PDF opened once from the site (pre-signed S3 GET)"),
}
Scenario = dict[str, float]
SCENARIOS: dict[str, Scenario] = {
    name: {k: v[i] for k, v in INPUTS.items()} for i, name in enumerate(("1k", "100k"))
}


@dataclass(frozen=True)
class Action:
    requests: float  # web Lambda invocations (= API Gateway requests)
    rru: float
    wru: float
    why: str


ACTIONS = {
    "sign-up": Action(3, 2, 4, "form, POST, code: user item + e-mail index, code put + delete"),
    "browse (page view)": Action(1.3, 3, 0, "page + htmx partials; ~4 KB event list query"),
    "register": Action(2, 4, 7, "transaction (2 WRU an item): event + registration, + indexes"),
    "ticket issued": Action(0, 0, 5, "transactional put (2) + 3 ticket indexes (ALL)"),
    "pay + webhook": Action(3, 6, 6, "checkout, return, Stripe webhook: status, indexes, event id"),
    "check-in scan": Action(1, 3, 9, "3-item transaction (6) + indexes; strongly consistent reads"),
    "ticket PDF download": Action(1, 2, 0, "ticket read, redirect to a pre-signed S3 URL"),
    "event setup (organizer)": Action(40, 40, 15, "create, edit, publish, door staff, lists"),
}
ASSUMED = {  # shared by both scenarios
    "lambda_ms": (70, "mean billed web request: DynamoDB round trips, PDF, cold starts"),
    "sweeper_ms": (100, "one query for expiring holds, usually nothing to release"),
    "sweeper_rru": (4, "the hold-expiry query and the outbox's due-jobs queries per run"),
    "deliverer_ms": (300, "one delivery: secrets, PDFs (about 5 ms each), S3 puts, one SES call"),
    "outbox_wru": (
        9,
        "the delivery job: transactional put (2) + index, then claim, sending, sent (1 each) "
        "and their index moves",
    ),
    "stream_reads": (2, "the deliverer's GetRecords per delivery (free for a Lambda trigger)"),
    "response_kb": (3, "gzip page or JSON answer (home page HTML: 1.9 KB gzip)"),
    "cf_requests_per_view": (1, "4 static files, browser-cached for a day after a first view"),
    "cf_kb_per_view": (6, "17 KB of gzip css/js on a first view, cached afterwards"),
    "mails_per_registration": (1, "one confirmation, every ticket PDF and the .ics attached"),
    "mails_per_signup": (1, "confirmation code, once Cognito sends through SES"),
    "pdf_kb": (3.6, "ticket PDF, docs/BENCHMARKS.md (3,622 bytes mean)"),
    "ics_kb": (1, "calendar attachment"),
    "log_bytes": (900, "Lambda START/END/REPORT + app line + API access log, per request"),
    "ddb_kb_per_ticket": (3, "ticket + share of its registration, with index copies"),
    "ddb_kb_per_user": (2, "user item + e-mail index copy"),
    "history_months": (12, "tables hold a year of tickets; accounts = 3x active users"),
    "cold_start_every": (300, "one GetParameters call (5 secrets) per cold start"),
    "detailed_metrics": (6, "HTTP API detailed metrics (`metrics: true`), one route"),
}


def config() -> dict[str, float | str]:
    """The figures the estimate reads from serverless.yml and infra/*.yml."""
    sls = (ROOT / "serverless.yml").read_text(encoding="utf-8")
    infra = {
        n: (ROOT / "infra" / f"{n}.yml").read_text(encoding="utf-8")
        for n in ("alarms", "storage", "dynamodb", "cognito", "dashboard")
    }
    filters = infra["alarms"] + infra["dashboard"]
    alarms = [
        re.split(r"\n  \S", b)[0] for b in infra["alarms"].split("AWS::CloudWatch::Alarm")[1:]
    ]

    def find(pattern: str, text: str = sls) -> str:
        match = re.search(pattern, text, re.S | re.M)
        assert match, pattern
        return match.group(1)

    return {
        "architecture": find(r"^\s+architecture:\s*(\S+)"),
        "memory_mb": int(find(r"^provider:.*?memorySize:\s*(\d+)")),
        "sweeper_mb": int(find(r"^  sweeper:.*?memorySize:\s*(\d+)")),
        "deliverer_mb": int(find(r"^  deliverer:.*?memorySize:\s*(\d+)")),
        "sweeper_runs": 30 * 24 * 60 // int(find(r"rate\((\d+) minutes?\)")),
        "log_days": max(int(d) for d in re.findall(r"logRetentionDays:\s*(\d+)", sls)),
        "pdf_days": int(find(r"ExpirationInDays:\s*(\d+)", infra["storage"])),
        "alarms": len(alarms),
        "alarm_metrics": sum(max(1, b.count("MetricStat:")) for b in alarms),
        "tables": infra["dynamodb"].count("AWS::DynamoDB::Table"),
        # Each metric a log metric filter makes is a custom metric (the same name from two
        # log groups is one metric).
        "filter_metrics": len(set(re.findall(r"MetricName:\s*(\w+)\n\s+MetricValue", filters))),
        "dashboards": infra["dashboard"].count("AWS::CloudWatch::Dashboard"),
        # Essentials is what a pool gets when the template names no plan.
        "cognito_tier": (re.findall(r"UserPoolTier:\s*(\w+)", infra["cognito"]) or ["ESSENTIALS"])[
            0
        ].lower(),
    }


def counts(s: Scenario) -> dict[str, float]:
    """How many of each ACTIONS request type a month."""
    registrations = s["users"] * s["registrations"]
    tickets = registrations * s["tickets_per_registration"]
    return {
        "sign-up": s["users"] * s["signup_share"],
        "browse (page view)": s["users"] * s["page_views"],
        "register": registrations,
        "ticket issued": tickets,
        "pay + webhook": registrations * s["paid_share"],
        "check-in scan": tickets * s["checkins_per_ticket"],
        "ticket PDF download": tickets * s["downloads_per_ticket"],
        "event setup (organizer)": s["events"],
    }


def usage(s: Scenario, cfg: dict[str, float | str]) -> dict[str, float]:
    """Quantity a month per PRICES key, counted in the price's base unit (requests, GB...)."""
    a = {name: value for name, (value, _) in ASSUMED.items()}
    n = counts(s)
    web = sum(n[k] * ACTIONS[k].requests for k in n)
    runs = float(cfg["sweeper_runs"])
    regs, tickets, views = n["register"], n["ticket issued"], n["browse (page view)"]
    # Every confirmed registration is one delivery: a deliverer invocation at worst (a batch
    # of one), which reads the secrets once and logs like a web request.
    deliveries = regs
    gb_s = web * a["lambda_ms"] / 1000 * float(cfg["memory_mb"]) / 1024
    gb_s += runs * a["sweeper_ms"] / 1000 * float(cfg["sweeper_mb"]) / 1024
    gb_s += deliveries * a["deliverer_ms"] / 1000 * float(cfg["deliverer_mb"]) / 1024
    attached_kb = (
        regs * (s["tickets_per_registration"] * a["pdf_kb"] + a["ics_kb"]) * 4 / 3
    )  # base64
    stored_kb = tickets * a["history_months"] * a["ddb_kb_per_ticket"]
    table_gb = (stored_kb + s["users"] * 3 * a["ddb_kb_per_user"]) * 1024 / GIB
    # A sweeper run logs a third as much as a web request.
    log_gb = (web + runs / 3 + deliveries) * a["log_bytes"] / GIB
    return {
        "lambda_req": web + runs + deliveries,
        f"lambda_{str(cfg['architecture'])[:3]}": gb_s,
        "apigw": web,
        "ddb_wru": sum(n[k] * ACTIONS[k].wru for k in n) + deliveries * a["outbox_wru"],
        "ddb_rru": sum(n[k] * ACTIONS[k].rru for k in n) + runs * a["sweeper_rru"],
        "ddb_gb": table_gb,
        "ddb_pitr": table_gb,
        "s3_gb": tickets * a["pdf_kb"] * 1024 * float(cfg["pdf_days"]) / 30 / GIB,
        "s3_put": tickets,
        "s3_get": n["ticket PDF download"],
        # Every request goes through CloudFront (infra/domain.yml): the app's answers and
        # the static files leave from the edge; API Gateway to CloudFront is not billed.
        "cf_gb": (web * a["response_kb"] + views * a["cf_kb_per_view"]) * 1024 / GIB,
        "cf_req": web + views * a["cf_requests_per_view"],
        f"cognito_{cfg['cognito_tier']}": s["users"],
        "ses_mail": regs * a["mails_per_registration"] + n["sign-up"] * a["mails_per_signup"],
        "ses_att": attached_kb * 1024 / GIB,
        "streams": deliveries * a["stream_reads"],
        "ssm": web / a["cold_start_every"] + deliveries,
        "logs_in": log_gb,
        "logs_gb": log_gb * float(cfg["log_days"]) / 30,  # steady state, uncompressed
        "alarms": float(cfg["alarm_metrics"]),
        "metrics": a["detailed_metrics"] + float(cfg["filter_metrics"]),
        "dashboards": float(cfg["dashboards"]),
        "eb_rule": runs,
    }


def costs(s: Scenario, cfg: dict[str, float | str]) -> dict[str, tuple[float, float, float]]:
    """PRICES key -> (quantity, USD at list prices, USD after the always-free allowance)."""
    out = {}
    for key, qty in usage(s, cfg).items():
        p = PRICES[key]
        out[key] = (qty, qty / p.per * p.usd, max(0.0, qty - p.free) / p.per * p.usd)
    return out


def totals(s: Scenario, cfg: dict[str, float | str]) -> tuple[float, float]:
    """(list, free tiers) USD a month."""
    lines = costs(s, cfg).values()
    return sum(c[1] for c in lines), sum(c[2] for c in lines)


def stripe_eur(s: Scenario) -> float:
    """Stripe's fee a month: one card payment per paid registration, for all its tickets."""
    order = s["tickets_per_registration"] * s["ticket_price_eur"]
    return counts(s)["pay + webhook"] * (order * STRIPE["percent"] / 100 + STRIPE["fixed_eur"])


def _base(unit: str) -> str:
    return re.sub(r"^[\d,.]+M?\s+", "", unit)  # "1M requests" -> "requests"


def _n(x: float) -> str:
    return f"{x:,.0f}" if x >= 100 or x == int(x) else f"{x:,.2f}"


def _table(header: str, rows: list[list[object]]) -> list[str]:
    """Markdown table; a header cell ending in ':' is right-aligned."""
    names = header.split("|")
    rule = ["---:" if n.endswith(":") else "---" for n in names]
    lines = [[n.rstrip(":") for n in names], rule, *rows]
    return ["| " + " | ".join(str(c) for c in line) + " |" for line in lines] + [""]


SUMMARY = [
    "AWS a month, list",
    "AWS a month, free tiers",
    "AWS per active user, list",
    "AWS per ticket sold, list",
    "Stripe fees (EUR, not in the AWS totals)",
    "Stripe per paid ticket (EUR)",
]


def _summary(s: Scenario, cfg: dict[str, float | str]) -> list[str]:
    (lst, free), tickets, fee = totals(s, cfg), counts(s)["ticket issued"], stripe_eur(s)
    return [
        f"${lst:,.2f}",
        f"${free:,.2f}",
        f"${lst / s['users']:.4f}",
        f"${lst / tickets:.4f}",
        f"{fee:,.2f}",
        f"{fee / (tickets * s['paid_share']):.4f}",
    ]


def render() -> str:
    cfg, sizes = config(), list(SCENARIOS.values())
    out = [
        "Generated by `bench/cost_analysis.py`; edit the prices and assumptions there, then re-run "
        "`.venv/bin/python bench/cost_analysis.py` (`--check` exits 1 when this file is stale).\n",
        "# Cost analysis\n",
        f"Region {REGION} (Ireland, the default of `ADMIT_AWS_REGION`), USD, a 30-day month, "
        f"prices checked {CHECKED}. **List** prices every unit (conservative); **free tiers** "
        "subtracts AWS's always-free monthly allowances (not 12-month or credit offers) for an "
        "account that runs nothing else.\n",
        "## Totals\n",
    ]
    columns = [_summary(s, cfg) for s in sizes]
    out += _table(
        "|" + "|".join(f"{s['users']:,.0f} users:" for s in sizes),
        [[label, *(c[i] for c in columns)] for i, label in enumerate(SUMMARY)],
    )
    refs = {key: i + 1 for i, key in enumerate(SOURCES)}
    rows = [p.cells(refs) for p in PRICES.values()]
    rows.append([*STRIPE_CELLS, CHECKED, f"[{refs['stripe']}]"])
    out += [
        "## Prices\n",
        *_table("service|item|USD:|per|always free a month|status|checked|source", rows),
    ]
    out += [f"{refs[k]}. {text}" for k, text in SOURCES.items()]
    out += [
        "\n## Assumptions\n",
        f"Read from the repository: Lambda `{cfg['architecture']}` at {cfg['memory_mb']} MB; the "
        f"sweeper at {cfg['sweeper_mb']} MB, {cfg['sweeper_runs']:,} runs a month; the deliverer "
        f"at {cfg['deliverer_mb']} MB, one run per confirmed registration at most; log retention "
        f"{cfg['log_days']} days (prod); ticket PDFs expire after {cfg['pdf_days']} days; "
        f"{cfg['tables']} DynamoDB tables; {cfg['alarms']} alarms reading {cfg['alarm_metrics']} "
        "metrics (a metric-math alarm is billed per metric it reads (unconfirmed)).\n",
    ]
    out += _table(
        "input|" + "|".join(f"{k}:" for k in SCENARIOS) + "|why",
        [[k, *(_n(s[k]) for s in sizes), why] for k, (*_, why) in INPUTS.items()],
    )
    out += _table(
        "request type|Lambda requests:|RRU:|WRU:|why",
        [[k, _n(a.requests), _n(a.rru), _n(a.wru), a.why] for k, a in ACTIONS.items()],
    )
    out += _table("figure|value:|why", [[k, _n(v), why] for k, (v, why) in ASSUMED.items()])
    for s in sizes:
        rows = [
            [*PRICES[k].cells(refs)[:2], _n(q), _base(PRICES[k].unit), f"{c:,.2f}", f"{f:,.2f}"]
            for k, (q, c, f) in costs(s, cfg).items()
        ]
        rows.append(["**total**", "", "", "", *(f"**{t:,.2f}**" for t in totals(s, cfg))])
        out += [f"## Monthly cost, {s['users']:,.0f} active users\n"]
        out += _table("service|item|quantity:|unit|list USD:|free tiers USD:", rows)
    return "\n".join([*out, GROWTH.format(tables=cfg["tables"])]).rstrip() + "\n"


GROWTH = """## What grows with what

- **With traffic (requests):** Lambda requests and GB-seconds, API Gateway, DynamoDB reads,
  CloudWatch Logs, data transfer out, CloudFront: together under a cent per thousand page
  views at list prices.
- **With tickets sold:** DynamoDB writes (a transaction costs 2 WRU an item, each index one
  more), SES mails and attachment bytes, S3 PUTs and PDF storage, the outbox's delivery
  jobs and deliverer runs, check-in scans, and Stripe's fee on every paid order.
- **With users:** Cognito, per monthly active user: the biggest AWS line at list prices,
  and past the 10,000 free MAUs most of the bill. `infra/cognito.yml` asks for the Lite
  plan (`UserPoolTier: LITE`): the pool uses none of Essentials' extras (no managed login
  domain, no passwordless, no token-customisation trigger), and Essentials, the default
  for a pool that names no plan, costs about 2.7 times as much.
- **Fixed:** alarms, metrics (detailed API metrics and the dashboard's log metric
  filters), the dashboard and the once-a-minute sweeper: a few dollars a month whatever the
  traffic (a DynamoDB stream costs nothing while idle). The dashboard is free as one of an
  account's first three, USD 3 a month beyond (the list price column counts it).
- **The safety net (infra/audit.yml, infra/waf.yml):** the CloudTrail trail is the
  account's first copy of management events, which CloudTrail does not bill (a second
  trail would be USD 2 per 100,000 events: switch `trailEnabled` off where the account
  already has one); its log files in S3 are a few MB a month (cents). AWS Budgets: the
  first two budgets of an account are free. The WAF web ACL is off by default; on, it adds
  USD 5 a month, USD 1 per rule (two) and USD 0.60 per million requests (list prices,
  unconfirmed here).
  PITR on the {tables} tables has no per-table fee: it is
  billed per GB stored, so it grows with the tickets kept (cents here).
- **The biggest lever:** for an organizer, Stripe: 1.5% + EUR 0.25 per payment is far more
  than the whole AWS bill for the same tickets, and the fixed EUR 0.25 is why one payment
  per order (not per ticket) matters. For the AWS bill alone: Cognito's plan and its active users.

## Notes

- Not counted: tax, an AWS support plan, Route 53 and the custom domain, KMS requests
  (SecureString parameters, the tables' AWS-managed key), SNS alarm mails, Logs Insights
  queries. Each is cents at these sizes, except a support plan.
- Cognito's own mailer sends at most 50 mails a day; the SES line assumes sign-up codes go
  through SES (DEPLOYMENT.md). New SES accounts default to the SES Essentials plan, USD 0.16
  per 1,000 mails in us-east-1 by source 5 (unconfirmed), which would raise the SES line 60%.
- API Gateway's 1M requests and S3's 5 GB are free for 12 months only, so neither is in the
  free-tiers column. Lambda's cheaper tiers (past 7.5 billion GB-s a month) are not reached.
- At list prices the 100,000-user month costs less than 100 times the 1,000-user month only
  because of the fixed lines; with free tiers the small month is nearly free.
"""


def check() -> bool:
    """True if docs/COST_ANALYSIS.md is exactly what `render()` writes."""
    return DOC.exists() and DOC.read_text(encoding="utf-8") == render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the doc is out of date")
    if parser.parse_args(argv).check:
        if check():
            return 0
        print(f"{DOC} is out of date: run bench/cost_analysis.py")
        return 1
    DOC.write_text(render(), encoding="utf-8")
    cfg = config()
    for name, s in SCENARIOS.items():
        lst, free = totals(s, cfg)
        print(
            f"{name:>5}: ${lst:,.2f} a month at list prices, ${free:,.2f} with free tiers; "
            f"Stripe EUR {stripe_eur(s):,.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

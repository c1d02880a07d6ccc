"""How often a person may try: failed log-ins, wrong codes and codes mailed (API.md,
"Accounts" and "Sessions").

Every limit is a count of attempts per key in a sliding window, taken atomically in the
Store *before* the password or code is checked (`Store.take_attempt`): parallel requests
cannot slip past a limit by all reading the count before any failure is written. An
attempt that turns out not to be a failure (the right password, the right code) is
released again, so only failures count.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from models.domain import CodePurpose, utcnow
from models.errors import TooManyAttempts
from models.store import Store

T = TypeVar("T")

# Wrong verification or reset codes per account, shared by both kinds of code and by
# every code sent: guessing one of a million codes stays hopeless however many codes
# are asked for.
WRONG_CODES_PER_HOUR = 10
WRONG_CODE_WINDOW = timedelta(hours=1)
# A new code of a kind is mailed at most once a minute, and at most this many a day, per
# account (verification and reset together): enough for a person who mistypes their address
# or loses mails, too few to flood an inbox or to farm codes.
CODE_RESEND_GAP = timedelta(seconds=60)
CODES_PER_DAY = 10
CODE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class LoginLimits:
    """Failed log-ins allowed per `window`: per account and client address together
    (what one guesser can do), per account from everywhere (a ceiling ten guessers
    reach), and per client address over all accounts."""

    per_account_and_client: int = 5
    per_account: int = 50
    per_client: int = 100
    window: timedelta = timedelta(minutes=15)


@dataclass(frozen=True)
class Rule:
    key: str
    limit: int
    window: timedelta


@dataclass(frozen=True)
class Taken:
    """Attempts taken for one try, to release if it was not a failure."""

    attempts: tuple[tuple[str, str], ...]


class Limiter:
    def __init__(
        self, store: Store, login: LoginLimits, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.store = store
        self.login = login
        self.clock = clock

    @property
    def longest_window(self) -> timedelta:
        """How far back any limit looks: older attempts may be forgotten."""
        return max(self.login.window, WRONG_CODE_WINDOW, CODE_DAY)

    # -- the rules ----------------------------------------------------------------------

    def login_rules(self, address: str, client: str) -> list[Rule]:
        window = self.login.window
        rules = []
        if address:
            rules.append(
                Rule(f"login:pair:{address}|{client}", self.login.per_account_and_client, window)
            )
            rules.append(Rule(f"login:account:{address}", self.login.per_account, window))
        rules.append(Rule(f"login:client:{client}", self.login.per_client, window))
        return rules

    @staticmethod
    def code_check_rule(address: str) -> Rule:
        return Rule(f"code:checked:{address}", WRONG_CODES_PER_HOUR, WRONG_CODE_WINDOW)

    @staticmethod
    def code_send_rules(address: str, purpose: CodePurpose) -> list[Rule]:
        """The wait is per kind of code (a reset right after confirming the address is
        not a resend); the daily count is one for both."""
        return [
            Rule(f"code:gap:{purpose.value}:{address}", 1, CODE_RESEND_GAP),
            Rule(f"code:sent:{address}", CODES_PER_DAY, CODE_DAY),
        ]

    # -- taking and releasing -----------------------------------------------------------

    async def take(self, rules: list[Rule], refusal: Callable[[Rule, int], str]) -> Taken:
        """One attempt under every rule, or none at all: raises `TooManyAttempts` with
        the message `refusal(rule, retry_after)` of the first rule whose limit is spent."""
        now = self.clock()
        taken: list[tuple[str, str]] = []
        for rule in rules:
            attempt = await self.store.take_attempt(rule.key, now, now - rule.window, rule.limit)
            if attempt.token is None:
                await self.release(Taken(tuple(taken)))
                retry_after = attempt.retry_after(rule.window, now)
                raise TooManyAttempts(retry_after, refusal(rule, retry_after))
            taken.append((rule.key, attempt.token))
        return Taken(tuple(taken))

    async def counting_failures(
        self,
        rules: list[Rule],
        refusal: Callable[[Rule, int], str],
        failure: type[Exception],
        attempt: Callable[[], Awaitable[T]],
    ) -> T:
        """Run `attempt` under `rules`, counting it only if it raises `failure`: the
        attempt is taken before it runs, so parallel tries cannot pass a limit by all
        reading the count first, and given back when it turns out not to be a failure."""
        taken = await self.take(rules, refusal)
        try:
            result = await attempt()
        except failure:
            raise
        except BaseException:
            await self.release(taken)
            raise
        await self.release(taken)
        return result

    async def release(self, taken: Taken) -> None:
        for key, token in taken.attempts:
            await self.store.release_attempt(key, token)

    async def note(self, rules: list[Rule]) -> None:
        """Count an attempt that happens anyway (the code mailed at sign-up)."""
        now = self.clock()
        for rule in rules:
            await self.store.take_attempt(rule.key, now, now - rule.window, rule.limit)


def wait_text(seconds: int) -> str:
    """`45 seconds`, `about 12 minutes`, `about 3 hours`: for messages to people."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} minutes"
    return f"about {round(seconds / 3600)} hours"

"""The mails Admit sends, as plain-text and HTML parts (no I/O here)."""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from web.adapters.mail.port import Mail


def _code_mail(to: str, subject: str, intro: list[str], code: str, outro: list[str]) -> Mail:
    text = "\n\n".join([*intro, f"    {code}", *outro]) + "\n"
    paragraphs = "".join(f"<p>{escape(line)}</p>" for line in intro)
    paragraphs += '<p style="font:bold 28px monospace;letter-spacing:6px">' + escape(code) + "</p>"
    paragraphs += "".join(f"<p>{escape(line)}</p>" for line in outro)
    html = f'<!doctype html><html><body style="font-family:sans-serif">{paragraphs}</body></html>'
    return Mail(to=to, subject=subject, text=text, html=html)


def verification_mail(to: str, name: str, code: str, minutes: int, base_url: str) -> Mail:
    return _code_mail(
        to,
        f"Your Admit code: {code}",
        [f"Hello {name},", f"Your Admit verification code (valid for {minutes} minutes):"],
        code,
        [
            f"Enter it at {base_url}/verify?email={quote(to)} to finish creating your account.",
            "If you did not sign up for Admit, ignore this mail.",
        ],
    )


def reset_mail(to: str, code: str, minutes: int, base_url: str) -> Mail:
    return _code_mail(
        to,
        "Reset your Admit password",
        [
            f"Someone asked to reset the password of the Admit account for {to}.",
            f"Your reset code (valid for {minutes} minutes):",
        ],
        code,
        [
            f"Enter it at {base_url}/password-reset/confirm?email={quote(to)}",
            "If it was not you, ignore this mail: your password stays as it is.",
        ],
    )

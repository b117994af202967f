"""Outgoing mail (password-reset links) through the SMTP server in the settings.

``create_app`` puts :func:`smtp_mailer` on ``app.state.mailer`` when ``NQPF_SMTP_HOST``
is set (else ``None``: reset links are then issued by an admin).  A mailer is any
callable taking an :class:`email.message.EmailMessage`; tests put a fake one there.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable
from email.message import EmailMessage

from nqpf.web.config import Settings

__all__ = ["Mailer", "reset_mail", "smtp_mailer"]

Mailer = Callable[[EmailMessage], None]


def reset_mail(settings: Settings, to: str, link: str) -> EmailMessage:
    """The message carrying a password-reset ``link`` to ``to``."""
    message = EmailMessage()
    message["From"] = settings.smtp_from or f"nqpf@{settings.smtp_host or 'localhost'}"
    message["To"] = to
    message["Subject"] = "nqpf 平台：重置密码"
    message.set_content(
        "您好：\n\n有人（希望是您本人）请求重置您在 nqpf 平台的密码。请在 "
        f"{settings.password_reset_hours:g} 小时内打开下面的链接设置新密码（链接只能使用一次）：\n\n"
        f"{link}\n\n如果不是您本人的请求，请忽略本邮件，您的密码不会改变。\n"
    )
    return message


def smtp_mailer(settings: Settings, smtp_class: type[smtplib.SMTP] = smtplib.SMTP) -> Mailer | None:
    """A mailer sending through ``NQPF_SMTP_HOST`` (STARTTLS and login when set), or
    None without a host."""
    if not settings.smtp_host:
        return None

    def send(message: EmailMessage) -> None:
        with smtp_class(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
            if settings.smtp_starttls:
                smtp.starttls()
            if settings.smtp_user:
                smtp.login(settings.smtp_user, settings.smtp_password or "")
            smtp.send_message(message)

    return send

"""The e-mail tab of the company and contact cards, and reading one e-mail.

Source: ``tblEmail`` (``Deleted = 1`` when deleted in the e-mail module) and ``tblEmailLink``
(links by address to a company, a person or both). Visibility, the same on pages and API:

* company card: live e-mails with a link naming the (live) company;
* contact card: live e-mails with a link naming the (live) person whose company, when the link
  names one, is live (a row of a soft-deleted company is hidden with it);
* an e-mail by id alone (API): live, and shown on at least one card by the rules above.

The body is plain text as stored; markup in it is shown as text, never run.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from .auth import require
from .errors import NotFound
from .i18n import N_
from .model import CRM_READ, User
from .paging import Page, PageRequest, SortOption
from .tabs import Card, CardHeaderQueries, CardOwner, open_card

EMAIL_SORTS = (
    SortOption("date", N_("Date"), descending=True),
    SortOption("subject", N_("Subject")),
    SortOption("from", N_("From")),
    SortOption("direction", N_("Direction")),
)
EMAIL_DEFAULT_SORT = "date"
EMAIL_NOT_FOUND = N_("The e-mail does not exist, has been deleted or is not linked here.")


@dataclass(frozen=True)
class EmailRow:
    """An e-mail in a list. ``direction`` ``I`` received / ``O`` sent; ``sent_at`` local time (may be None)."""

    email_id: int
    sent_at: datetime | None
    direction: str
    from_addr: str | None
    to_addrs: str | None
    subject: str | None
    has_attachments: bool


@dataclass(frozen=True)
class EmailMessage:
    """One e-mail to read: the list fields plus ``cc_addrs``, ``message_id`` and the plain-text body."""

    email_id: int
    sent_at: datetime | None
    direction: str
    from_addr: str | None
    to_addrs: str | None
    cc_addrs: str | None
    subject: str | None
    has_attachments: bool
    message_id: str | None
    body_text: str | None


@dataclass(frozen=True)
class EmailsTab:
    card: Card
    page: Page[EmailRow]


@dataclass(frozen=True)
class EmailView:
    card: Card
    message: EmailMessage


class EmailQueries(Protocol):
    def list_emails(self, owner: CardOwner, req: PageRequest) -> Page[EmailRow]:
        """One page of the owner's live e-mails (rules in the module docstring), each once.

        Sort keys: ``date`` (``SentAt``, unknown dates last), ``subject``, ``from``, ``direction``;
        ties broken by ``EmailID``. Raises ClassicUnavailable.
        """

    def get_email(self, email_id: int, owner: CardOwner | None) -> EmailMessage | None:
        """The live e-mail when it is shown on ``owner``'s card (None: on any card), else None."""


def emails_tab(user: User, owner: CardOwner, req: PageRequest, *, emails: EmailQueries,
               headers: CardHeaderQueries) -> EmailsTab:
    """The e-mail tab of a company or contact card. Needs CRM_READ.

    Raises Forbidden, NotFound (unknown or soft-deleted owner), ClassicUnavailable.
    """
    card = open_card(user, owner, "emails", headers=headers)
    return EmailsTab(card, emails.list_emails(owner, req))


def read_email(user: User, owner: CardOwner, email_id: int, *, emails: EmailQueries,
               headers: CardHeaderQueries) -> EmailView:
    """One e-mail of ``owner``'s card, with its body as plain text. Needs CRM_READ.

    Raises Forbidden, NotFound (owner or e-mail unknown, deleted, or not linked to the owner),
    ClassicUnavailable.
    """
    card = open_card(user, owner, "emails", headers=headers)
    message = emails.get_email(email_id, owner)
    if message is None:
        raise NotFound(EMAIL_NOT_FOUND)
    return EmailView(card, message)


def get_email(user: User, email_id: int, *, emails: EmailQueries) -> EmailMessage:
    """An e-mail by id (JSON API) when it is live and shown on some live card. Needs CRM_READ.

    Raises Forbidden, NotFound, ClassicUnavailable.
    """
    require(user, CRM_READ)
    message = emails.get_email(email_id, None)
    if message is None:
        raise NotFound(EMAIL_NOT_FOUND)
    return message

"""SQLAlchemy Core tables of the classic CRM database (schema 7.4), named exactly as the kit.

Declared from ``ddl/mssql.sql`` of the integration kit. CRM Lite never creates or alters
these tables on a classic database; ``metadata.create_all`` is only used for demo databases
built by ``sandbox/``. ``bit`` columns are Integer 0/1 (the kit binds ints, not bools);
``datetime`` columns hold the installation's local wall-clock time without offset.
"""

from __future__ import annotations

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Integer,
    MetaData,
    Numeric,
    SmallInteger,
    String,
    Table,
    Unicode,
    UnicodeText,
)
from sqlalchemy.dialects import sqlite

metadata = MetaData()

# The kit stores SQLite datetimes as 'YYYY-MM-DD HH:MM:SS' (no fraction); match it so that
# comparisons of stored text with bound parameters are exact.
LocalDateTime = DateTime().with_variant(
    sqlite.DATETIME(
        storage_format="%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d",
        regexp=r"(\d+)-(\d+)-(\d+)(?: (\d+):(\d+):(\d+)(?:\.\d+)?)?",
    ),
    "sqlite",
)
Money = Numeric(19, 4, asdecimal=True)

tblSetting = Table(
    "tblSetting",
    metadata,
    Column('SettingKey', String(50), primary_key=True),
    Column('SettingValue', Unicode(400)),
)

tblUser = Table(
    "tblUser",
    metadata,
    Column('UserID', Integer, primary_key=True, autoincrement=True),
    Column('LoginName', String(50), nullable=False),
    Column('FullName', Unicode(100), nullable=False),
    Column('Initials', String(10)),
    Column('Email', String(200)),
    Column('Phone', String(50)),
    Column('Title', Unicode(100)),
    Column('PwdSalt', String(16)),
    Column('PwdHash', String(40)),
    Column('Active', Integer, nullable=False, server_default="1"),
    Column('CreatedAt', LocalDateTime, nullable=False),
)

tblUserRight = Table(
    "tblUserRight",
    metadata,
    Column('UserID', Integer, ForeignKey("tblUser.UserID"), nullable=False, primary_key=True),
    Column('RightCode', String(30), nullable=False, primary_key=True),
)

tblNumberSeries = Table(
    "tblNumberSeries",
    metadata,
    Column('SeriesCode', String(20), primary_key=True),
    Column('NextNo', Integer, nullable=False),
    Column('LastUsedAt', LocalDateTime),
)

tblCompany = Table(
    "tblCompany",
    metadata,
    Column('CompanyID', Integer, primary_key=True, autoincrement=True),
    Column('CustomerNo', Integer),
    Column('SupplierNo', Integer),
    Column('Name', Unicode(200), nullable=False),
    Column('NickName', Unicode(100)),
    Column('OrgNo', String(20)),
    Column('VatNo', String(30)),
    Column('CompanyKind', SmallInteger, nullable=False, server_default="1"),
    Column('IsCustomer', Integer, nullable=False, server_default="1"),
    Column('IsSupplier', Integer, nullable=False, server_default="0"),
    Column('Phone', String(50)),
    Column('Fax', String(50)),
    Column('Email', String(200)),
    Column('Web', String(200)),
    Column('Notes', UnicodeText),
    Column('OwnerUserID', Integer, ForeignKey("tblUser.UserID")),
    Column('Country', String(2), server_default="SE"),
    Column('Currency', String(3), server_default="SEK"),
    Column('PaymentDays', SmallInteger),
    Column('InvoiceMethod', SmallInteger),
    Column('InvoiceEmail', String(200)),
    Column('DiscountPct', Numeric(5,2, asdecimal=True)),
    Column('CreditLimit', Money),
    Column('LanguageCode', String(2)),
    Column('Deleted', Integer, nullable=False, server_default="0"),
    Column('CreatedAt', LocalDateTime, nullable=False),
    Column('CreatedBy', Integer),
    Column('ChangedAt', LocalDateTime),
    Column('ChangedBy', Integer),
    Column('ChangeNo', Integer, nullable=False, server_default="1"),
)

tblPerson = Table(
    "tblPerson",
    metadata,
    Column('PersonID', Integer, primary_key=True, autoincrement=True),
    Column('FirstName', Unicode(100)),
    Column('LastName', Unicode(100)),
    Column('JobTitle', Unicode(100)),
    Column('Phone', String(50)),
    Column('Mobile', String(50)),
    Column('Email', String(200)),
    Column('Notes', UnicodeText),
    Column('OwnerUserID', Integer, ForeignKey("tblUser.UserID")),
    Column('Deleted', Integer, nullable=False, server_default="0"),
    Column('CreatedAt', LocalDateTime, nullable=False),
    Column('CreatedBy', Integer),
    Column('ChangedAt', LocalDateTime),
    Column('ChangedBy', Integer),
    Column('ChangeNo', Integer, nullable=False, server_default="1"),
)

tblCompanyPerson = Table(
    "tblCompanyPerson",
    metadata,
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID"), nullable=False, primary_key=True),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID"), nullable=False, primary_key=True),
    Column('Role', Unicode(100)),
    Column('IsMain', Integer, nullable=False, server_default="0"),
    Column('Deleted', Integer, nullable=False, server_default="0"),
    Column('CreatedAt', LocalDateTime, nullable=False),
    Column('CreatedBy', Integer),
    Column('ChangedAt', LocalDateTime),
    Column('ChangedBy', Integer),
    Column('ChangeNo', Integer, nullable=False, server_default="1"),
)

tblAddress = Table(
    "tblAddress",
    metadata,
    Column('AddressID', Integer, primary_key=True, autoincrement=True),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID")),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID")),
    Column('AddrType', SmallInteger, nullable=False),
    Column('Line1', Unicode(100)),
    Column('Line2', Unicode(100)),
    Column('PostCode', String(20)),
    Column('City', Unicode(100)),
    Column('Country', String(2)),
)

tblCategory = Table(
    "tblCategory",
    metadata,
    Column('CategoryID', Integer, primary_key=True, autoincrement=True),
    Column('ParentID', Integer, ForeignKey("tblCategory.CategoryID")),
    Column('Name', Unicode(100), nullable=False),
    Column('Deleted', Integer, nullable=False, server_default="0"),
)

tblCompanyCategory = Table(
    "tblCompanyCategory",
    metadata,
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID"), nullable=False, primary_key=True),
    Column('CategoryID', Integer, ForeignKey("tblCategory.CategoryID"), nullable=False, primary_key=True),
)

tblProject = Table(
    "tblProject",
    metadata,
    Column('ProjectID', Integer, primary_key=True, autoincrement=True),
    Column('ProjectNo', Integer, nullable=False),
    Column('Name', Unicode(200), nullable=False),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID")),
    Column('ManagerUserID', Integer, ForeignKey("tblUser.UserID")),
    Column('StartDate', Date),
    Column('EndDate', Date),
    Column('Status', SmallInteger, nullable=False, server_default="1"),
    Column('Budget', Money),
    Column('Deleted', Integer, nullable=False, server_default="0"),
    Column('CreatedAt', LocalDateTime, nullable=False),
    Column('CreatedBy', Integer),
    Column('ChangedAt', LocalDateTime),
    Column('ChangedBy', Integer),
    Column('ChangeNo', Integer, nullable=False, server_default="1"),
)

tblActivity = Table(
    "tblActivity",
    metadata,
    Column('ActivityID', Integer, primary_key=True, autoincrement=True),
    Column('ActType', SmallInteger, nullable=False),
    Column('Subject', Unicode(200), nullable=False),
    Column('Body', UnicodeText),
    Column('Location', Unicode(200)),
    Column('StartAt', LocalDateTime),
    Column('EndAt', LocalDateTime),
    Column('DueAt', LocalDateTime),
    Column('Done', Integer, nullable=False, server_default="0"),
    Column('DoneAt', LocalDateTime),
    Column('Priority', SmallInteger),
    Column('OwnerUserID', Integer, ForeignKey("tblUser.UserID")),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID")),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID")),
    Column('ProjectID', Integer, ForeignKey("tblProject.ProjectID")),
    Column('Deleted', Integer, nullable=False, server_default="0"),
    Column('CreatedAt', LocalDateTime, nullable=False),
    Column('CreatedBy', Integer),
    Column('ChangedAt', LocalDateTime),
    Column('ChangedBy', Integer),
    Column('ChangeNo', Integer, nullable=False, server_default="1"),
)

tblActivityUser = Table(
    "tblActivityUser",
    metadata,
    Column('ActivityID', Integer, ForeignKey("tblActivity.ActivityID"), nullable=False, primary_key=True),
    Column('UserID', Integer, ForeignKey("tblUser.UserID"), nullable=False, primary_key=True),
)

tblWallPost = Table(
    "tblWallPost",
    metadata,
    Column('PostID', Integer, primary_key=True, autoincrement=True),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID")),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID")),
    Column('Body', UnicodeText, nullable=False),
    Column('Deleted', Integer, nullable=False, server_default="0"),
    Column('CreatedAt', LocalDateTime, nullable=False),
    Column('CreatedBy', Integer),
    Column('ChangedAt', LocalDateTime),
    Column('ChangedBy', Integer),
    Column('ChangeNo', Integer, nullable=False, server_default="1"),
)

tblSalesOpp = Table(
    "tblSalesOpp",
    metadata,
    Column('OppID', Integer, primary_key=True, autoincrement=True),
    Column('Title', Unicode(200), nullable=False),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID"), nullable=False),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID")),
    Column('OwnerUserID', Integer, ForeignKey("tblUser.UserID")),
    Column('Amount', Money, nullable=False, server_default="0"),
    Column('Currency', String(3), nullable=False, server_default="SEK"),
    Column('Probability', SmallInteger),
    Column('CloseDate', Date),
    Column('Stage', SmallInteger, nullable=False, server_default="1"),
    Column('Deleted', Integer, nullable=False, server_default="0"),
    Column('CreatedAt', LocalDateTime, nullable=False),
    Column('CreatedBy', Integer),
    Column('ChangedAt', LocalDateTime),
    Column('ChangedBy', Integer),
    Column('ChangeNo', Integer, nullable=False, server_default="1"),
)

tblEmail = Table(
    "tblEmail",
    metadata,
    Column('EmailID', Integer, primary_key=True, autoincrement=True),
    Column('MessageID', String(250)),
    Column('Subject', Unicode(500)),
    Column('FromAddr', String(250)),
    Column('ToAddrs', String),
    Column('CcAddrs', String),
    Column('SentAt', LocalDateTime),
    Column('Direction', String(1), nullable=False),
    Column('BodyText', UnicodeText),
    Column('HasAttachments', Integer, nullable=False, server_default="0"),
    Column('Deleted', Integer, nullable=False, server_default="0"),
)

tblEmailLink = Table(
    "tblEmailLink",
    metadata,
    Column('LinkID', Integer, primary_key=True, autoincrement=True),
    Column('EmailID', Integer, ForeignKey("tblEmail.EmailID"), nullable=False),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID")),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID")),
)

tblDocument = Table(
    "tblDocument",
    metadata,
    Column('DocumentID', Integer, primary_key=True, autoincrement=True),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID")),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID")),
    Column('FolderPath', Unicode(400), nullable=False, server_default="/"),
    Column('FileName', Unicode(255), nullable=False),
    Column('ContentType', String(100)),
    Column('ByteSize', Integer),
    Column('StorageKey', String(400), nullable=False),
    Column('UploadedAt', LocalDateTime, nullable=False),
    Column('UploadedBy', Integer),
    Column('Deleted', Integer, nullable=False, server_default="0"),
)

tblCall = Table(
    "tblCall",
    metadata,
    Column('CallID', Integer, primary_key=True, autoincrement=True),
    Column('Direction', String(1), nullable=False),
    Column('Number', String(50)),
    Column('Extension', String(20)),
    Column('UserID', Integer, ForeignKey("tblUser.UserID")),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID")),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID")),
    Column('StartedAt', LocalDateTime, nullable=False),
    Column('DurationSec', Integer),
    Column('Answered', Integer, nullable=False, server_default="1"),
)

tblOrder = Table(
    "tblOrder",
    metadata,
    Column('OrderID', Integer, primary_key=True, autoincrement=True),
    Column('OrderNo', Integer, nullable=False),
    Column('DocType', String(1), nullable=False, server_default="O"),
    Column('InvoiceNo', Integer),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID"), nullable=False),
    Column('PersonID', Integer, ForeignKey("tblPerson.PersonID")),
    Column('SalesUserID', Integer, ForeignKey("tblUser.UserID")),
    Column('OrderDate', Date, nullable=False),
    Column('InvoiceDate', Date),
    Column('DueDate', Date),
    Column('Status', SmallInteger, nullable=False, server_default="0"),
    Column('Currency', String(3), nullable=False, server_default="SEK"),
    Column('ExchangeRate', Numeric(12,6, asdecimal=True), nullable=False, server_default="1"),
    Column('NetAmount', Money, nullable=False, server_default="0"),
    Column('VatAmount', Money, nullable=False, server_default="0"),
    Column('TotalAmount', Money, nullable=False, server_default="0"),
    Column('YourRef', Unicode(100)),
    Column('OurRef', Unicode(100)),
    Column('Deleted', Integer, nullable=False, server_default="0"),
    Column('CreatedAt', LocalDateTime, nullable=False),
    Column('CreatedBy', Integer),
    Column('ChangedAt', LocalDateTime),
    Column('ChangedBy', Integer),
    Column('ChangeNo', Integer, nullable=False, server_default="1"),
)

tblOrderLine = Table(
    "tblOrderLine",
    metadata,
    Column('LineID', Integer, primary_key=True, autoincrement=True),
    Column('OrderID', Integer, ForeignKey("tblOrder.OrderID"), nullable=False),
    Column('LineNum', SmallInteger, nullable=False),
    Column('ArticleNo', String(50)),
    Column('Description', Unicode(400)),
    Column('Quantity', Numeric(18,4, asdecimal=True), nullable=False, server_default="1"),
    Column('Unit', Unicode(20)),
    Column('UnitPrice', Money, nullable=False, server_default="0"),
    Column('DiscountPct', Numeric(5,2, asdecimal=True), nullable=False, server_default="0"),
    Column('VatPct', Numeric(5,2, asdecimal=True), nullable=False, server_default="25"),
    Column('LineNet', Money, nullable=False, server_default="0"),
)

tblLedgerEntry = Table(
    "tblLedgerEntry",
    metadata,
    Column('EntryID', Integer, primary_key=True, autoincrement=True),
    Column('Ledger', String(1), nullable=False),
    Column('CompanyID', Integer, ForeignKey("tblCompany.CompanyID"), nullable=False),
    Column('VoucherNo', Integer, nullable=False),
    Column('VoucherDate', Date, nullable=False),
    Column('InvoiceNo', String(30)),
    Column('DueDate', Date),
    Column('Description', Unicode(200)),
    Column('Currency', String(3), nullable=False, server_default="SEK"),
    Column('AmountCur', Money, nullable=False),
    Column('Amount', Money, nullable=False),
    Column('OpenAmount', Money, nullable=False),
    Column('Closed', String(1), nullable=False, server_default="N"),
    Column('ClosedDate', Date),
    Column('MatchNo', Integer),
    Column('OcrRef', String(30)),
)


#: Every classic table CRM Lite reads or writes, by name (used by ``crm-lite check``).
CLASSIC_TABLES = {t.name: t for t in metadata.sorted_tables}

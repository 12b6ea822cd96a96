"""The contact (person) card and the employee card against independent SQL on the kit."""

from __future__ import annotations

import pytest

from adapters.sql.employees import SqlEmployeeQueries
from adapters.sql.engine import make_engine
from adapters.sql.persons import SqlPersonQueries

from .kit import NOW_LOCAL
from .test_company_card import count_queries, dt, esc, page, rows, scalar


@pytest.fixture
def persons_any(kit_any):
    engine = make_engine(kit_any.app_url)
    yield SqlPersonQueries(engine)
    engine.dispose()


@pytest.fixture
def employees_any(kit_any):
    engine = make_engine(kit_any.app_url)
    yield SqlEmployeeQueries(engine)
    engine.dispose()


@pytest.fixture(scope="module")
def two_company_person(kit_sql) -> int:
    """The person on both Testbolaget companies with different roles (VD, Styrelse)."""
    found = rows(
        kit_sql,
        'SELECT cp."PersonID" FROM "tblCompanyPerson" cp JOIN "tblCompany" c ON c."CompanyID" = '
        'cp."CompanyID" '
        "WHERE c.\"Name\" IN ('Testbolaget AB', 'Testbolaget Aktiebolag') AND cp.\"Deleted\" = 0 "
        'GROUP BY cp."PersonID" HAVING COUNT(*) = 2',
    )
    assert len(found) == 1
    return found[0][0]


def _live_companies(kit_sql, person_id: int) -> set[tuple[int, str | None, bool]]:
    return {
        (cid, role, bool(main))
        for cid, role, main in rows(
            kit_sql,
            'SELECT cp."CompanyID", cp."Role", cp."IsMain" FROM "tblCompanyPerson" cp JOIN "tblCompany" c '
            'ON c."CompanyID" = cp."CompanyID" WHERE cp."PersonID" = :id AND cp."Deleted" = 0 AND '
            'c."Deleted" = 0',
            id=person_id,
        )
    }


# --- the person queries, on every engine ----------------------------------------------------


def test_person_row_and_addresses_match_sql(persons_any, kit_sql):
    pid = scalar(
        kit_sql,
        'SELECT MIN(a."PersonID") FROM "tblAddress" a JOIN "tblPerson" p ON p."PersonID" = a."PersonID" '
        'WHERE p."Deleted" = 0',
    )
    p = persons_any.person(pid)
    (r,) = rows(kit_sql, 'SELECT * FROM "tblPerson" WHERE "PersonID" = :id', id=pid)
    m = r._mapping
    assert p.first_name == ((m["FirstName"] or "").strip() or None)
    assert p.last_name == ((m["LastName"] or "").strip() or None)
    assert p.owner is None or p.owner.user_id == m["OwnerUserID"]
    assert p.audit.created_at == dt(m["CreatedAt"])
    expected = rows(
        kit_sql,
        'SELECT "AddrType", "City" FROM "tblAddress" WHERE "PersonID" = :id ORDER BY "AddrType"',
        id=pid,
    )
    assert [(a.addr_type, a.city) for a in p.addresses] == [
        (t, (c or "").strip() or None) for t, c in expected
    ]


def test_soft_deleted_person_is_none(persons_any, kit_sql):
    for (pid,) in rows(kit_sql, 'SELECT "PersonID" FROM "tblPerson" WHERE "Deleted" = 1'):
        assert persons_any.person(pid) is None


def test_companies_are_live_links_to_live_companies(persons_any, kit_sql, two_company_person):
    # persons with a soft-deleted link, or a link to a soft-deleted company
    hidden = rows(
        kit_sql,
        'SELECT cp."PersonID", cp."CompanyID" FROM "tblCompanyPerson" cp JOIN "tblCompany" c '
        'ON c."CompanyID" = cp."CompanyID" JOIN "tblPerson" p ON p."PersonID" = cp."PersonID" '
        'WHERE p."Deleted" = 0 AND (cp."Deleted" = 1 OR c."Deleted" = 1)',
    )
    assert len(hidden) >= 4
    for pid in {p for p, _ in hidden} | {two_company_person}:
        got = {(c.company_id, c.role, c.is_main) for c in persons_any.companies(pid)}
        assert got == {(cid, (r or "").strip() or None, m) for cid, r, m in _live_companies(kit_sql, pid)}
        assert not {cid for p, cid in hidden if p == pid} & {c[0] for c in got}


def test_person_activities_and_wall_match_sql(persons_any, kit_sql, two_company_person):
    busiest = [
        r[0]
        for r in rows(
            kit_sql,
            'SELECT "PersonID" FROM "tblActivity" WHERE "Deleted" = 0 AND "PersonID" IS NOT NULL '
            'GROUP BY "PersonID" ORDER BY COUNT(*) DESC, "PersonID" LIMIT 3',
        )
    ]
    for pid in busiest:
        expected = rows(
            kit_sql,
            'SELECT a."ActivityID" FROM "tblActivity" a LEFT JOIN "tblCompany" c ON c."CompanyID" = '
            'a."CompanyID" '
            'WHERE a."PersonID" = :id AND a."Deleted" = 0 AND (a."CompanyID" IS NULL OR c."Deleted" = 0)',
            id=pid,
        )
        got = persons_any.activities(person_id=pid, now_local=NOW_LOCAL, limit=50)
        assert {a.activity_id for a in got.items} == {r[0] for r in expected} and got.total == len(expected)
    wall_people = [
        r[0]
        for r in rows(
            kit_sql,
            'SELECT "PersonID" FROM "tblWallPost" WHERE "PersonID" IS NOT NULL GROUP BY "PersonID" '
            'ORDER BY COUNT(*) DESC, "PersonID" LIMIT 3',
        )
    ]
    for pid in wall_people:
        expected = [
            r[0]
            for r in rows(
                kit_sql,
                'SELECT w."PostID" FROM "tblWallPost" w LEFT JOIN "tblCompany" c ON c."CompanyID" = '
                'w."CompanyID" '
                'WHERE w."PersonID" = :id AND w."Deleted" = 0 AND (w."CompanyID" IS NULL OR c."Deleted" = 0) '
                'ORDER BY w."CreatedAt" DESC, w."PostID" DESC',
                id=pid,
            )
        ]
        got = persons_any.wall(person_id=pid, limit=20)
        assert [w.post_id for w in got.items] == expected[:20] and got.total == len(expected)


# --- the contact card page -------------------------------------------------------------------


def test_person_on_both_testbolaget_companies_shows_both_roles(anna, kit_sql, two_company_person):
    html_ = page(anna, f"/persons/{two_company_person}")
    for cid, role, _main in _live_companies(kit_sql, two_company_person):
        assert f'href="/companies/{cid}"' in html_
        assert esc(role) in html_
    classic = scalar(kit_sql, 'SELECT "SettingValue" FROM "tblSetting" WHERE "SettingKey" = \'ClassicUrl\'')
    assert (
        f'href="{classic.rstrip("/")}/person.aspx?id={two_company_person}" target="_blank" rel="noopener"'
        in html_
    )
    assert (
        'id="opportunities"' not in html_ and 'id="categories"' not in html_ and 'id="projects"' not in html_
    )


def test_person_card_hides_links_to_deleted_companies(anna, kit_sql):
    found = rows(
        kit_sql,
        'SELECT cp."PersonID", cp."CompanyID" FROM "tblCompanyPerson" cp JOIN "tblCompany" c '
        'ON c."CompanyID" = cp."CompanyID" JOIN "tblPerson" p ON p."PersonID" = cp."PersonID" '
        'WHERE c."Deleted" = 1 AND cp."Deleted" = 0 AND p."Deleted" = 0 ORDER BY cp."PersonID"',
    )
    assert found
    pid, cid = found[0]
    html_ = page(anna, f"/persons/{pid}")
    side = html_[html_.index('id="companies"') :]
    assert f'href="/companies/{cid}"' not in side


def test_main_contact_is_marked_on_the_person_card(anna, kit_sql):
    pid, cid = rows(
        kit_sql,
        'SELECT cp."PersonID", cp."CompanyID" FROM "tblCompanyPerson" cp JOIN "tblCompany" c '
        'ON c."CompanyID" = cp."CompanyID" JOIN "tblPerson" p ON p."PersonID" = cp."PersonID" '
        'WHERE cp."IsMain" = 1 AND cp."Deleted" = 0 AND c."Deleted" = 0 AND p."Deleted" = 0 ORDER BY 1',
    )[0]
    html_ = page(anna, f"/persons/{pid}")
    side = html_[html_.index('id="companies"') :]
    entry = side[side.index(f'href="/companies/{cid}"') :]
    assert entry.index("Main contact") < entry.index("</li>")


def test_soft_deleted_person_page_is_404(anna, kit_sql):
    pid = scalar(kit_sql, 'SELECT MIN("PersonID") FROM "tblPerson" WHERE "Deleted" = 1')
    assert anna.get(f"/persons/{pid}").status_code == 404
    assert anna.get(f"/api/v1/persons/{pid}").status_code == 404


def test_person_with_markup_notes_shows_them_as_text(anna, kit_sql):
    found = rows(
        kit_sql,
        'SELECT "PersonID", "Notes" FROM "tblPerson" WHERE "Deleted" = 0 AND "Notes" LIKE \'%<%\' ORDER BY 1',
    )
    assert found
    pid, notes = found[0]
    html_ = page(anna, f"/persons/{pid}")
    assert esc(notes.replace("\r\n", "\n")) in html_
    assert notes not in html_  # never raw markup


def test_person_card_query_count(app, anna, two_company_person):
    svc = app.extensions["crm_lite"]
    anna.get(f"/persons/{two_company_person}")
    with count_queries(svc.classic_engine) as classic:
        assert anna.get(f"/persons/{two_company_person}").status_code == 200
    print(f"\nperson card: {len(classic)} classic queries")
    assert len(classic) <= 8


def test_api_person_card(anna, kit_sql, two_company_person):
    body = anna.get(f"/api/v1/persons/{two_company_person}").get_json()
    assert {c["company_id"] for c in body["companies"]} == {
        c for c, _, _ in _live_companies(kit_sql, two_company_person)
    }
    assert anna.get("/api/v1/recent").get_json()["items"] == []


# --- the employee card -----------------------------------------------------------------------


def test_owned_companies_in_swedish_order_with_total(employees_any, kit_sql):
    for uid in (2, 7):
        names = [
            (cid, name)
            for cid, name in rows(
                kit_sql,
                'SELECT "CompanyID", "Name" FROM "tblCompany" WHERE "OwnerUserID" = :u AND "Deleted" = 0',
                u=uid,
            )
        ]
        got = employees_any.owned_companies(uid, 20)
        assert got.total == len(names)
        assert {c.company_id for c in got.items} <= {cid for cid, _ in names}
        shown = [c.name for c in got.items]
        assert len(shown) == min(20, len(names))
        # Swedish order: Å, Ä, Ö after Z; case ignored
        order = str.maketrans({"å": "{", "ä": "|", "æ": "|", "ö": "}", "ø": "}"})
        keys = [n.strip().lower().translate(order) for n in shown]
        assert keys == sorted(keys)


def test_employee_appointments_and_open_tasks_match_sql(employees_any, kit_sql):
    now = NOW_LOCAL.strftime("%Y-%m-%d %H:%M:%S")
    expected = [
        r[0]
        for r in rows(
            kit_sql,
            'SELECT a."ActivityID" FROM "tblActivity" a LEFT JOIN "tblCompany" c ON c."CompanyID" = '
            'a."CompanyID" '
            'WHERE a."Deleted" = 0 AND a."ActType" = 2 AND (a."CompanyID" IS NULL OR c."Deleted" = 0) '
            'AND (a."OwnerUserID" = 2 OR EXISTS (SELECT 1 FROM "tblActivityUser" u WHERE u."ActivityID" = '
            'a."ActivityID" AND u."UserID" = 2)) AND (a."StartAt" >= :now OR a."EndAt" > :now) '
            'ORDER BY a."StartAt", a."ActivityID" DESC',
            now=now,
        )
    ]
    got = employees_any.appointments(2, NOW_LOCAL, 20)
    assert [a.activity_id for a in got.items] == expected[:20] and got.total == len(expected)
    tasks = rows(
        kit_sql,
        'SELECT a."ActivityID" FROM "tblActivity" a LEFT JOIN "tblCompany" c ON c."CompanyID" = '
        'a."CompanyID" '
        'WHERE a."Deleted" = 0 AND a."ActType" = 1 AND a."Done" = 0 AND a."OwnerUserID" = 2 '
        'AND (a."CompanyID" IS NULL OR c."Deleted" = 0)',
    )
    got_tasks = employees_any.open_tasks(2, 100)
    assert {a.activity_id for a in got_tasks.items} == {r[0] for r in tasks} and got_tasks.total == len(tasks)


def test_inactive_employee_card(anna, kit_sql):
    (uid, name, salt, pwd_hash) = rows(
        kit_sql,
        'SELECT "UserID", "FullName", "PwdSalt", "PwdHash" FROM "tblUser" WHERE "Active" = 0 ORDER BY 1',
    )[0]
    owned = scalar(
        kit_sql, 'SELECT COUNT(*) FROM "tblCompany" WHERE "OwnerUserID" = :u AND "Deleted" = 0', u=uid
    )
    html_ = page(anna, f"/employees/{uid}")
    assert esc(name) in html_ and "Inactive" in html_
    assert f'<span class="count">({owned})</span>' in html_
    body = anna.get(f"/api/v1/employees/{uid}").get_data(as_text=True)
    for secret in (salt, pwd_hash):
        assert secret and secret not in html_ and secret not in body
    assert "Pwd" not in body


def test_unknown_employee_is_404(anna, kit_sql):
    top = scalar(kit_sql, 'SELECT MAX("UserID") FROM "tblUser"')
    assert anna.get(f"/employees/{top + 1}").status_code == 404
    assert anna.get(f"/api/v1/employees/{top + 1}").status_code == 404

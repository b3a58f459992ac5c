"""Who may open the staff back office (the full matrix grows with the portal and staff views)."""


def test_anonymous_visitor_is_sent_to_sign_in(client):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


def test_officer_is_refused_the_staff_office(client, make_user, login):
    login(make_user(role="officer"))
    assert client.get("/staff/").status_code == 403


def test_staff_sees_the_dashboard(client, make_user, login):
    login(make_user(role="staff"))
    response = client.get("/staff/")
    assert response.status_code == 200
    assert "What waits" in response.get_data(as_text=True)


def test_inactive_staff_is_treated_as_signed_out(client, make_user, login):
    login(make_user(role="staff", active=False))
    assert client.get("/staff/").status_code == 302

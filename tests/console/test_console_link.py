import pytest

from tests.factories.members import StaffUserFactory, UserFactory


@pytest.mark.django_db
def test_staff_see_a_link_to_the_console_and_members_do_not(client):
    # Any page with the site's header: the rewards page a member reads, the join page for an
    # account without a membership.
    client.force_login(StaffUserFactory())
    assert 'href="/staff/"' in client.get("/me/join/", follow=True).content.decode()
    client.force_login(UserFactory())
    assert 'href="/staff/"' not in client.get("/me/join/", follow=True).content.decode()

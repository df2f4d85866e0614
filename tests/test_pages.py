"""The page shell: languages, accessibility landmarks, and assets served by us, never a CDN."""

from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories.ledger import MemberFactory
from tests.factories.members import StaffUserFactory


class Tags(HTMLParser):
    """Every start tag of a page with its attributes, and the text inside each element id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [
            found
            for name, found in self.tags
            if name == tag and all(found.get(key) == value for key, value in attrs.items())
        ]

    def one(self, tag: str, **attrs: str) -> dict[str, str]:
        matches = self.all(tag, **attrs)
        assert len(matches) == 1, f"expected one <{tag} {attrs}>, found {len(matches)}"
        return matches[0]


HOME_TEXT = {
    "en": ("Every visit counts", "Skip to content", "Join the program"),
    "es": ("Cada visita cuenta", "Saltar al contenido", "Únase al programa"),
    "fr": ("Chaque visite compte", "Aller au contenu", "Rejoindre le programme"),
}


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es", "fr"])
def test_home_speaks_the_language_chosen_with_the_cookie(client, language):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language

    response = client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert Tags(page).one("html")["lang"] == language
    for text in HOME_TEXT[language]:
        assert text in page


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("accept_language", "language"),
    [("es-ES,es;q=0.9,en;q=0.5", "es"), ("fr-CA,fr;q=0.8", "fr"), ("de-DE,de;q=0.9", "en")],
)
def test_home_follows_the_browser_language(client, accept_language, language):
    response = client.get("/", headers={"accept-language": accept_language})

    page = response.content.decode()
    assert Tags(page).one("html")["lang"] == language
    assert HOME_TEXT[language][0] in page


@pytest.mark.django_db
def test_language_switcher_is_a_labelled_post_form_that_changes_the_language(client):
    page = Tags(client.get("/").content.decode())
    form = page.one("form", action=reverse("set_language"))
    assert form["method"] == "post"
    select = page.one("select", name="language")
    assert page.one("label", **{"for": select["id"]})
    assert [option["value"] for option in page.all("option")] == ["en", "es", "fr"]
    assert page.one("input", name="next")["value"] == "/"

    response = client.post(reverse("set_language"), {"language": "es", "next": "/"}, follow=True)

    assert response.redirect_chain == [("/", 302)]
    assert Tags(response.content.decode()).one("html")["lang"] == "es"
    assert "Cada visita cuenta" in response.content.decode()


@pytest.mark.django_db
def test_home_has_skip_link_landmarks_and_a_status_region_for_messages(client):
    page = Tags(client.get("/").content.decode())

    skip_link = page.tags[page.tags.index(("body", page.one("body"))) + 1]
    assert skip_link == ("a", {"class": "skip-link", "href": "#main"})
    assert page.one("main", id="main")
    assert page.one("header")
    assert page.one("footer")
    assert page.one("nav")["aria-label"]
    assert page.one("div", role="status")


@pytest.mark.django_db
def test_anonymous_visitor_is_invited_to_join_or_sign_in(client):
    page = Tags(client.get("/").content.decode())

    assert page.all("a", href=reverse("account_signup"))
    assert page.all("a", href=reverse("account_login"))
    assert not page.all("form", action=reverse("account_logout"))


@pytest.mark.django_db
def test_signed_in_member_opening_the_site_lands_on_their_points(client):
    member = MemberFactory(email="ana@example.com", first_name="Ana")
    client.force_login(member.user)

    response = client.get("/", follow=True)

    assert response.redirect_chain[-1][0] == reverse("members:home")
    page = response.content.decode()
    assert "Hello, Ana" in page
    assert "ana@example.com</h1>" not in page
    assert Tags(page).one("form", action=reverse("account_logout"))["method"] == "post"
    assert Tags(page).all("a", href=reverse("members:rewards"))


@pytest.mark.django_db
def test_signed_in_staff_opening_the_site_land_on_the_console(client):
    client.force_login(StaffUserFactory(email="staff@example.com"))

    response = client.get("/")

    assert response.status_code == 302
    assert response["Location"] == reverse("landing")


@pytest.mark.django_db
def test_htmx_requests_carry_the_csrf_token(client):
    response = client.get("/")

    body = Tags(response.content.decode()).one("body")
    token = response.context["csrf_token"]
    assert body["hx-headers"] == f'{{"X-CSRFToken": "{token}"}}'


@pytest.mark.django_db
def test_page_loads_no_asset_from_another_origin(client):
    page = Tags(client.get("/").content.decode())

    scripts = [tag["src"] for tag in page.all("script")]
    stylesheets = [tag["href"] for tag in page.all("link", rel="stylesheet")]
    assert scripts
    assert stylesheets
    for url in scripts + stylesheets:
        assert url.startswith(settings.STATIC_URL), url
    assert "https://" not in "".join(scripts + stylesheets)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("tag", "attribute", "only", "marker"),
    [
        ("script", "src", {}, b"htmx"),
        ("link", "href", {"rel": "stylesheet"}, b"--color-primary"),
        ("link", "href", {"rel": "icon"}, b"<svg"),
    ],
)
def test_assets_the_page_links_to_are_served_by_whitenoise(client, tag, attribute, only, marker):
    page = Tags(client.get("/").content.decode())
    url = next(found[attribute] for found in page.all(tag, **only) if attribute in found)

    response = client.get(url)

    assert response.status_code == 200
    assert marker in b"".join(response.streaming_content)
    # Fingerprinted names may be cached for ever: a new version gets a new name.
    assert "immutable" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_home_refuses_writes(client):
    assert client.post("/").status_code == 405

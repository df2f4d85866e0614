"""The tier benefits a program may list (`benefits:` of a tier in the program file), each with
the words members read for it. A program file naming any other benefit is refused at import
with the list of known ones: a typo ("vip lounge") must never reach a member's page as a raw
code. Add a benefit here, with its translations, to offer it."""

from django.utils.translation import gettext_lazy as _

BENEFITS = {
    "free_shipping": _("Free shipping on online orders"),
    "free_returns": _("Free returns"),
    "early_access": _("Early access to new products and events"),
    "member_events": _("Invitations to members' events"),
    "gift_wrapping": _("Free gift wrapping"),
    "priority_service": _("Priority service in store"),
    "personal_advice": _("A personal adviser"),
    "birthday_treat": _("A treat in your birthday month"),
}


def benefit_label(code: str) -> str:
    """The benefit in the active language (a code from an older program file, before benefits
    were checked, reads as words rather than as a code)."""
    label = BENEFITS.get(code)
    return str(label) if label is not None else code.replace("_", " ").capitalize()
